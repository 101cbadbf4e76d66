namespace Dypls
{
    /// <summary>Values from input rows shown inside messages: line breaks, tabs and NULs escaped, long values cut.</summary>
    internal static class MessageText
    {
        /// <summary>
        /// The messages of an exception and its first causes, each once: "An error occurred while sending the request." says
        /// little alone, and socket errors repeat their text at each level.
        /// </summary>
        public static string Describe(System.Exception ex)
        {
            var parts = new System.Collections.Generic.List<string>();
            for (System.Exception? e = ex; e != null && parts.Count < 3; e = e.InnerException)
            {
                if (!parts.Exists(p => p.Contains(e.Message))) parts.Add(e.Message);
            }
            return string.Join(" ", parts);
        }

        public static string Shorten(string value)
        {
            var clean = value.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0").Replace("\t", "\\t");
            return clean.Length > 64 ? clean.Substring(0, 61) + "..." : clean;
        }
    }
}
