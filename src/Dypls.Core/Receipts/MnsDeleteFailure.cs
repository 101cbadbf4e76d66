namespace Dypls.Receipts
{
    /// <summary>One handle a BatchDeleteMessage did not delete, with the queue's reason (MessageNotExist: stale or gone).</summary>
    internal sealed class MnsDeleteFailure
    {
        public MnsDeleteFailure(string handle, string code, string message)
        {
            Handle = handle;
            Code = code;
            Message = message;
        }

        public string Handle { get; }
        public string Code { get; }
        public string Message { get; }
    }
}
