#if NETFRAMEWORK
// Compiler support types that .NET Framework 4.7.2 lacks, so the same test sources compile for net472
// (xs[^1], s[1..], records and init). Test code only: the product stays on plain netstandard2.0 APIs.
namespace System
{
    internal readonly struct Index
    {
        private readonly int _value;

        public Index(int value, bool fromEnd = false)
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value));
            _value = fromEnd ? ~value : value;
        }

        public int Value => _value < 0 ? ~_value : _value;
        public bool IsFromEnd => _value < 0;
        public static Index Start => new(0);
        public static Index End => new(0, fromEnd: true);
        public static Index FromStart(int value) => new(value);
        public static Index FromEnd(int value) => new(value, fromEnd: true);
        public int GetOffset(int length) => IsFromEnd ? length - Value : Value;
        public static implicit operator Index(int value) => FromStart(value);
    }

    internal readonly struct Range
    {
        public Range(Index start, Index end) { Start = start; End = end; }
        public Index Start { get; }
        public Index End { get; }
        public static Range StartAt(Index start) => new(start, Index.End);
        public static Range EndAt(Index end) => new(Index.Start, end);
        public static Range All => new(Index.Start, Index.End);

        public (int Offset, int Length) GetOffsetAndLength(int length)
        {
            var start = Start.GetOffset(length);
            var end = End.GetOffset(length);
            if ((uint)end > (uint)length || (uint)start > (uint)end) throw new ArgumentOutOfRangeException(nameof(length));
            return (start, end - start);
        }
    }
}

namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }

    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class ModuleInitializerAttribute : Attribute { }
}

namespace Dypls.Core.Tests
{
    /// <summary>
    /// The net472 lane stands for Windows PowerShell 5.1, whose .NET Framework has no SocketsHttpHandler. Mono has
    /// one, so the lane turns it off before any test makes a client: every HTTP test here then runs through
    /// HttpClientHandler and ServicePointManager (Mono's HttpWebRequest stack), the path 5.1 takes.
    /// </summary>
    internal static class NetFrameworkLane
    {
#pragma warning disable CA2255 // the net472 lane must switch the HTTP path before any test makes a client; no xunit hook runs earlier
        [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
        internal static void UseTheNetFrameworkHttpPath() => Dypls.Http.SharedHttpClient.AvoidSocketsHandler = true;
    }
}
#endif
