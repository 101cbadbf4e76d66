using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Dypls.Text
{
    /// <summary>
    /// Recognises text that was UTF-8 but was read in a legacy code page, as Windows PowerShell 5.1's Import-Csv reads
    /// a UTF-8 file without a BOM (the ANSI code page): the console's 呼叫记录ID header arrives as "å‘¼å«è®°å½•ID" (code page
    /// 1252) or "鍛煎彨璁板綍ID" (936). Test: encode the text back in the code page and see whether the bytes are
    /// valid UTF-8 that says something else.
    /// </summary>
    internal static class Utf8Mojibake
    {
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

        /// <summary>The code pages tried: this machine's ANSI code page (where it is not UTF-8), Western (1252) and Simplified Chinese (936).</summary>
        private static readonly Lazy<Encoding[]> CodePages = new Lazy<Encoding[]>(() =>
        {
            var found = new List<Encoding>();
            void Add(Func<Encoding> get)
            {
                try
                {
                    var e = get();
                    if (e is UTF8Encoding || e is UnicodeEncoding || e.CodePage == 65001 || e.CodePage == 1200) return;
                    if (found.Any(f => f.CodePage == e.CodePage)) return;
                    found.Add(Encoding.GetEncoding(e.CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback));
                }
                catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException)
                {
                    // Not on this runtime (.NET without the code pages provider): Windows1252 below still covers Western.
                }
            }
            Add(() => Encoding.Default);
            Add(() => Encoding.GetEncoding(1252));
            Add(() => Encoding.GetEncoding(936));
            return found.ToArray();
        });

        /// <summary>True when <paramref name="text"/> looks like UTF-8 that was decoded in a legacy code page.</summary>
        public static bool IsLikely(string? text)
        {
            if (text is null || text.Length == 0 || text.All(c => c < 0x80)) return false;
            if (Reads(Windows1252Bytes(text))) return true;
            foreach (var e in CodePages.Value)
            {
                byte[] bytes;
                try { bytes = e.GetBytes(text); }
                catch (EncoderFallbackException) { continue; }
                if (Reads(bytes)) return true;
            }
            return false;
        }

        /// <summary>True when any of <paramref name="names"/> (a row's property names) looks mis-decoded.</summary>
        public static bool AnyLikely(IEnumerable<string>? names) => names != null && names.Any(IsLikely);

        private static bool Reads(byte[]? bytes)
        {
            // Valid UTF-8 with at least one multi-byte sequence: text that is more than ASCII, and was taken apart.
            if (bytes == null || bytes.All(b => b < 0x80)) return false;
            try
            {
                StrictUtf8.GetString(bytes);
                return true;
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
        }

        // Windows-1252 without the code pages provider: Latin-1, except 0x80–0x9F, which hold these characters.
        private const string Cp1252High = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ";

        private static byte[]? Windows1252Bytes(string text)
        {
            var bytes = new byte[text.Length];
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                var high = Cp1252High.IndexOf(c);
                if (high >= 0) bytes[i] = (byte)(0x80 + high);
                else if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) bytes[i] = (byte)c;
                else return null;
            }
            return bytes;
        }
    }
}
