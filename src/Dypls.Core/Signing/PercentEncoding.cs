using System.Text;

namespace Dypls.Signing
{
    /// <summary>
    /// RFC 3986 percent-encoding as Alibaba Cloud's RPC signature defines it: UTF-8 bytes, only
    /// A-Z a-z 0-9 - _ . ~ left as they are, uppercase hex. Uri.EscapeDataString differs across
    /// runtimes (.NET Framework leaves !*'() alone), so it is not used.
    /// </summary>
    internal static class PercentEncoding
    {
        private const string Hex = "0123456789ABCDEF";

        public static bool IsUnreserved(byte b) =>
            (b >= (byte)'A' && b <= (byte)'Z') || (b >= (byte)'a' && b <= (byte)'z') ||
            (b >= (byte)'0' && b <= (byte)'9') || b == (byte)'-' || b == (byte)'_' || b == (byte)'.' || b == (byte)'~';

        public static string Encode(string value)
        {
            // Most names and values (Action, AccessKeyId, the nonce, PoolKey, most CallIds) need no escaping: they are
            // returned as they are, with no copy. Signing escapes every parameter twice per request.
            var i = 0;
            while (i < value.Length && value[i] < 0x80 && IsUnreserved((byte)value[i])) i++;
            if (i == value.Length) return value;

            var bytes = Encoding.UTF8.GetBytes(value);
            var length = 0;
            foreach (var b in bytes) length += IsUnreserved(b) ? 1 : 3;
            var chars = new char[length];
            var n = 0;
            foreach (var b in bytes)
            {
                if (IsUnreserved(b))
                {
                    chars[n++] = (char)b;
                }
                else
                {
                    chars[n++] = '%';
                    chars[n++] = Hex[b >> 4];
                    chars[n++] = Hex[b & 0xF];
                }
            }
            return new string(chars);
        }
    }
}
