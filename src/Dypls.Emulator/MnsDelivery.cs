namespace Dypls.Emulator;

/// <summary>What one receive hands out for one message: the MNS fields of the answer, copied under the queue's lock.</summary>
internal sealed record MnsDelivery(string MessageId, string BodyMd5, string Body, string ReceiptHandle, long EnqueueTime,
    long FirstDequeueTime, long NextVisibleTime, int DequeueCount, int Priority);
