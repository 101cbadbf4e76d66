using System.Text;

namespace Dypls.Signing
{
    /// <summary>
    /// RFC 3986 percent-encoding as Alibaba Cloud's RPC signature defines it: UTF-8 bytes, only
    /// A-Z a-z 0-9 - _ . ~ left as they are, uppercase hex. Uri.EscapeDataString differs across
    /// runtimes (.NET Framework leaves !*'() alone), so it is not used.
    /// </summary>
    public static class PercentEncoding
    {
        private const string Hex = "0123456789ABCDEF";

        public static bool IsUnreserved(byte b) =>
            (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'a' && b <= (byte)'z') ||
            (b >= (byte)'0' && b <= (byte)'9') || b == (byte)'-' || b == (byte)'_' || b == (byte)'.' || b == (byte)'~';

        public static string Encode(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            var sb = new StringBuilder(bytes.Length + 16);
            foreach (var b in bytes)
            {
                if (IsUnreserved(b))
                {
                    sb.Append((char)b);
                }
                else
                {
                    sb.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
                }
            }
            return sb.ToString();
        }
    }
}
