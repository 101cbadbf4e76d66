namespace Dypls
{
    /// <summary>Values from input rows shown inside messages: line breaks, tabs and NULs escaped, long values cut.</summary>
    public static class MessageText
    {
        public static string Shorten(string value)
        {
            var clean = value.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0").Replace("\t", "\\t");
            return clean.Length > 64 ? clean.Substring(0, 61) + "..." : clean;
        }
    }
}
