// Placeholder replaced by the emulator implementation.
Console.WriteLine("Dypls emulator");
