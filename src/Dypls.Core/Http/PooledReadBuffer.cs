using System;
using System.Buffers;

namespace Dypls.Http
{
    /// <summary>
    /// A read buffer from a pool, given back when disposed unless a read into it was given up on (a stall, a deadline):
    /// such a read may still complete later and write into it (on .NET Framework it returns only when data comes), so
    /// that buffer is left to the GC. Bracket every read with <see cref="BeginRead"/> and <see cref="EndRead"/>.
    /// </summary>
    internal sealed class PooledReadBuffer : IDisposable
    {
        private readonly ArrayPool<byte> _pool;
        private bool _readPending;

        public PooledReadBuffer(int size, ArrayPool<byte>? pool = null)
        {
            _pool = pool ?? ArrayPool<byte>.Shared;
            Array = _pool.Rent(size);
        }

        public byte[] Array { get; }

        public void BeginRead() => _readPending = true;

        public void EndRead() => _readPending = false;

        public void Dispose()
        {
            if (!_readPending) _pool.Return(Array);
        }
    }
}
