using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

// This file also builds for net472, which has no Stream.WriteAsync(ReadOnlyMemory<byte>) and no string.Contains(string, StringComparison).
#pragma warning disable CA1835, CA2249

namespace Dypls.Core.Tests.TestServers;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (random port) built on plain sockets, so the same scripted servers run
/// under net10.0 and net472 (Mono, standing in for Windows PowerShell 5.1), where Kestrel does not exist.
/// Keep-alive, Content-Length and chunked request bodies; responses are buffered and sent with Content-Length,
/// unless a handler takes the raw stream (<see cref="LoopbackContext.TakeOverAsync"/>) to send something broken on
/// purpose: a cut body, a stall mid-body, a reset. <see cref="LoopbackContext.Aborted"/> fires when the client goes away.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<LoopbackContext, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly Task _acceptLoop;
    private int _nextConnectionId;

    public LoopbackHttpServer(Func<LoopbackContext, Task> handler)
    {
        _handler = handler;
        _listener.Start();
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        BaseUri = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public Uri BaseUri { get; }

    /// <summary>Connections accepted so far (keep-alive reuse keeps this below the request count).</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _nextConnectionId);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false); }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { return; }
            catch (InvalidOperationException) { return; }
            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnectionId);
            var connection = new Connection(client, _stop.Token);
            _connections[id] = connection;
            _ = Task.Run(async () =>
            {
                try { await ServeAsync(connection).ConfigureAwait(false); }
                finally
                {
                    _connections.TryRemove(id, out _);
                    connection.Dispose();
                }
            });
        }
    }

    private async Task ServeAsync(Connection connection)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var request = await LoopbackRequest.ReadAsync(connection).ConfigureAwait(false);
                if (request is null) return; // the client closed the connection between requests
                using var aborted = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var context = new LoopbackContext(request, connection, aborted.Token);
                // While the handler runs, a read that ends (EOF or error) means the client has gone: that is Aborted.
                var watch = connection.WatchForCloseAsync(aborted);
                try
                {
                    await _handler(context).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (aborted.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (!context.TookOver)
                {
                    // A broken handler is a 500, as in any server; the test sees it as a server error.
                    context.Response.StatusCode = 500;
                    context.Response.Body.SetLength(0);
                    await context.Response.WriteAsync(ex.GetType().Name + ": " + ex.Message).ConfigureAwait(false);
                }
                if (context.TookOver || aborted.IsCancellationRequested) return;
                await connection.WriteResponseAsync(context.Response).ConfigureAwait(false);
                if (!request.KeepAlive) return;
                await watch.ConfigureAwait(false); // hands any bytes it read (the next request) back to the parser
            }
        }
        catch (IOException) { }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (InvalidDataException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _connections.Values) c.Dispose();
        try { await _acceptLoop.ConfigureAwait(false); } catch (ObjectDisposedException) { }
        _stop.Dispose();
    }

    /// <summary>One TCP connection with a read buffer; at most one read is outstanding at any time.</summary>
    internal sealed class Connection : IDisposable
    {
        private readonly TcpClient _client;
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start, _end;
        private Task<int>? _pendingRead;
        private int _disposed;

        public Connection(TcpClient client, CancellationToken stop)
        {
            _client = client;
            Stream = client.GetStream();
            Stop = stop;
        }

        public NetworkStream Stream { get; }
        public CancellationToken Stop { get; }

        /// <summary>Bytes buffered but not yet consumed.</summary>
        public int Available => _end - _start;

        /// <summary>Reads more bytes into the buffer; 0 at end of stream.</summary>
        public async Task<int> FillAsync()
        {
            if (_start > 0 && _start == _end) _start = _end = 0;
            if (_end == _buffer.Length)
            {
                if (_start == 0) throw new InvalidDataException("Request head too large for the test server.");
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            var read = _pendingRead ?? Stream.ReadAsync(_buffer, _end, _buffer.Length - _end);
            _pendingRead = null;
            var n = await read.ConfigureAwait(false);
            _end += n;
            return n;
        }

        /// <summary>Watches for the client going away while a handler runs, without losing bytes of a next request.</summary>
        public async Task WatchForCloseAsync(CancellationTokenSource aborted)
        {
            if (_end == _buffer.Length) return; // no room to watch; never happens with requests this small
            var read = Stream.ReadAsync(_buffer, _end, _buffer.Length - _end);
            _pendingRead = read;
            try
            {
                var n = await read.ConfigureAwait(false);
                if (n == 0)
                {
                    _pendingRead = Task.FromResult(0);
                    try { aborted.Cancel(); } catch (ObjectDisposedException) { }
                    return;
                }
                // The next request began to arrive: keep its bytes for the parser.
                _pendingRead = null;
                _end += n;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
                _pendingRead = Task.FromResult(0);
                try { aborted.Cancel(); } catch (ObjectDisposedException) { }
            }
        }

        public string? TryTakeLine()
        {
            for (var i = _start; i < _end - 1; i++)
            {
                if (_buffer[i] == '\r' && _buffer[i + 1] == '\n')
                {
                    var line = Encoding.ASCII.GetString(_buffer, _start, i - _start);
                    _start = i + 2;
                    return line;
                }
            }
            return null;
        }

        public int Take(byte[] destination, int offset, int count)
        {
            var n = Math.Min(count, _end - _start);
            Buffer.BlockCopy(_buffer, _start, destination, offset, n);
            _start += n;
            return n;
        }

        public async Task WriteResponseAsync(LoopbackResponse response)
        {
            var body = response.Body.ToArray();
            var head = new StringBuilder();
            head.Append("HTTP/1.1 ").Append(response.StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(ReasonPhrase(response.StatusCode)).Append("\r\n");
            foreach (var h in response.Headers)
            {
                if (string.Equals(h.Key, "Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
                head.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
            }
            // Every real server sends Date; the client reads the clock offset from it.
            if (!response.Headers.ContainsKey("Date")) head.Append("Date: ").Append(DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture)).Append("\r\n");
            head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
            var headBytes = Encoding.UTF8.GetBytes(head.ToString());
            await Stream.WriteAsync(headBytes, 0, headBytes.Length).ConfigureAwait(false);
            await Stream.WriteAsync(body, 0, body.Length).ConfigureAwait(false);
            await Stream.FlushAsync().ConfigureAwait(false);
        }

        internal static string ReasonPhrase(int status) => status switch
        {
            200 => "OK",
            206 => "Partial Content",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => "Status",
        };

        /// <summary>Closes with a TCP reset (RST) rather than an orderly FIN, as a crashed peer would.</summary>
        public void Reset()
        {
            try { _client.Client.LingerState = new LingerOption(true, 0); } catch (SocketException) { } catch (ObjectDisposedException) { }
            Dispose();
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            try { _client.Client.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            _client.Close();
        }
    }
}

/// <summary>A parsed request: method, path, query, headers (case-insensitive) and the whole body.</summary>
public sealed class LoopbackRequest
{
    private LoopbackRequest(string method, string target, Dictionary<string, string> headers, byte[] body)
    {
        Method = method;
        Target = target;
        var q = target.IndexOf('?');
        Path = Uri.UnescapeDataString(q < 0 ? target : target.Substring(0, q));
        Query = q < 0 ? string.Empty : target.Substring(q + 1);
        Headers = headers;
        Body = body;
    }

    public string Method { get; }
    /// <summary>The request target as sent (path and query).</summary>
    public string Target { get; }
    /// <summary>The path, percent-decoded.</summary>
    public string Path { get; }
    /// <summary>The raw query, without '?'.</summary>
    public string Query { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }
    public byte[] Body { get; }

    public bool KeepAlive => !(Headers.TryGetValue("Connection", out var c) && c.IndexOf("close", StringComparison.OrdinalIgnoreCase) >= 0);

    /// <summary>A header's value, or "" when absent.</summary>
    public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : string.Empty;

    /// <summary>The body read as an application/x-www-form-urlencoded form.</summary>
    public FormData ReadForm() => FormData.Parse(Encoding.UTF8.GetString(Body));

    internal static async Task<LoopbackRequest?> ReadAsync(LoopbackHttpServer.Connection c)
    {
        var requestLine = await ReadLineAsync(c, allowEof: true).ConfigureAwait(false);
        if (requestLine is null) return null;
        var parts = requestLine.Split(' ');
        if (parts.Length != 3) throw new InvalidDataException("Bad request line: " + requestLine);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var line = await ReadLineAsync(c, allowEof: false).ConfigureAwait(false);
            if (string.IsNullOrEmpty(line)) break;
            var colon = line!.IndexOf(':');
            if (colon <= 0) throw new InvalidDataException("Bad header: " + line);
            var name = line.Substring(0, colon).Trim();
            var value = line.Substring(colon + 1).Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
        }

        byte[] body;
        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.IndexOf("chunked", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            using var all = new MemoryStream();
            while (true)
            {
                var sizeLine = await ReadLineAsync(c, allowEof: false).ConfigureAwait(false);
                var size = int.Parse(sizeLine!.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (!string.IsNullOrEmpty(await ReadLineAsync(c, allowEof: false).ConfigureAwait(false))) { }
                    break;
                }
                var chunk = await ReadBytesAsync(c, size).ConfigureAwait(false);
                all.Write(chunk, 0, chunk.Length);
                await ReadLineAsync(c, allowEof: false).ConfigureAwait(false);
            }
            body = all.ToArray();
        }
        else if (headers.TryGetValue("Content-Length", out var cl))
        {
            body = await ReadBytesAsync(c, int.Parse(cl, NumberStyles.None, CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }
        else
        {
            body = [];
        }
        return new LoopbackRequest(parts[0], parts[1], headers, body);
    }

    private static async Task<string?> ReadLineAsync(LoopbackHttpServer.Connection c, bool allowEof)
    {
        while (true)
        {
            var line = c.TryTakeLine();
            if (line != null) return line;
            if (await c.FillAsync().ConfigureAwait(false) == 0)
            {
                if (allowEof && c.Available == 0) return null;
                throw new IOException("The client closed the connection mid-request.");
            }
        }
    }

    private static async Task<byte[]> ReadBytesAsync(LoopbackHttpServer.Connection c, int count)
    {
        var bytes = new byte[count];
        var got = c.Take(bytes, 0, count);
        while (got < count)
        {
            if (await c.FillAsync().ConfigureAwait(false) == 0) throw new IOException("The client closed the connection mid-body.");
            got += c.Take(bytes, got, count - got);
        }
        return bytes;
    }
}

/// <summary>Form or query fields; the indexer gives null for a missing field.</summary>
public sealed class FormData
{
    private readonly Dictionary<string, string> _fields;

    private FormData(Dictionary<string, string> fields) { _fields = fields; }

    public string? this[string name] => _fields.TryGetValue(name, out var v) ? v : null;

    public IReadOnlyDictionary<string, string> Fields => _fields;

    public static FormData Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split('&'))
        {
            if (pair.Length == 0) continue;
            var eq = pair.IndexOf('=');
            var name = Decode(eq < 0 ? pair : pair.Substring(0, eq));
            var value = eq < 0 ? string.Empty : Decode(pair.Substring(eq + 1));
            fields[name] = value;
        }
        return new FormData(fields);
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}

/// <summary>The response a handler builds; sent after the handler returns, with Content-Length.</summary>
public sealed class LoopbackResponse
{
    public int StatusCode { get; set; } = 200;
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public MemoryStream Body { get; } = new();

    public string? ContentType
    {
        get => Headers.TryGetValue("Content-Type", out var v) ? v : null;
        set { if (value is null) Headers.Remove("Content-Type"); else Headers["Content-Type"] = value; }
    }

    public Task WriteAsync(string text) => WriteAsync(Encoding.UTF8.GetBytes(text));

    public Task WriteAsync(byte[] bytes)
    {
        Body.Write(bytes, 0, bytes.Length);
        return Task.CompletedTask;
    }
}

/// <summary>One exchange: the request, the response to fill in, and a token that fires when the client disconnects.</summary>
public sealed class LoopbackContext
{
    private readonly LoopbackHttpServer.Connection _connection;

    internal LoopbackContext(LoopbackRequest request, LoopbackHttpServer.Connection connection, CancellationToken aborted)
    {
        Request = request;
        _connection = connection;
        Aborted = aborted;
    }

    public LoopbackRequest Request { get; }
    public LoopbackResponse Response { get; } = new();
    public CancellationToken Aborted { get; }
    internal bool TookOver { get; private set; }

    /// <summary>
    /// Sends the status line and headers of <see cref="Response"/> as they are (Content-Length only if the handler set
    /// one) and hands over the raw stream; the connection is closed when the handler returns. For bodies that are cut,
    /// stall, or trickle.
    /// </summary>
    public async Task<Stream> TakeOverAsync()
    {
        TookOver = true;
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(Response.StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(LoopbackHttpServer.Connection.ReasonPhrase(Response.StatusCode)).Append("\r\n");
        foreach (var h in Response.Headers) head.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
        head.Append("Connection: close\r\n\r\n");
        var bytes = Encoding.UTF8.GetBytes(head.ToString());
        await _connection.Stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
        await _connection.Stream.FlushAsync().ConfigureAwait(false);
        return _connection.Stream;
    }

    /// <summary>Drops the connection with a reset, sending nothing more.</summary>
    public void Reset()
    {
        TookOver = true;
        _connection.Reset();
    }
}
