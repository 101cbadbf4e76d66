namespace Dypls.Emulator;

/// <summary>
/// One STS key handed out by QueryTokenForMnsQueue, scoped to a message type and, when the caller named one, to a
/// single queue: the MNS endpoint accepts it only for those queues and only until <see cref="Expiration"/>.
/// </summary>
public sealed record MnsToken(string AccessKeyId, string AccessKeySecret, string SecurityToken, string MessageType, string? QueueName,
    DateTimeOffset Created, DateTimeOffset Expiration)
{
    /// <summary>Whether this token may touch the queue: the named queue only, or any queue of the token's message type.</summary>
    public bool Allows(string queueName) =>
        QueueName is not null
            ? string.Equals(QueueName, queueName, StringComparison.Ordinal)
            : string.Equals(MnsQueue.MessageTypeOf(queueName), MessageType, StringComparison.Ordinal);
}
