namespace Dypls.Emulator.Tests;

/// <summary>How a test sends an RPC call: GET with a query, POST with a form body, or POST with a query.</summary>
public enum RpcTransport
{
    Get,
    PostForm,
    PostQuery,
}
