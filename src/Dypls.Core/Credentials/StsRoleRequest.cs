namespace Dypls.Credentials
{
    /// <summary>What to ask STS for: the role, the session's name and length, an optional policy and external id.</summary>
    internal sealed class StsRoleRequest
    {
        public StsRoleRequest(string roleArn, string roleSessionName, int durationSeconds, string? policy = null, string? externalId = null)
        {
            RoleArn = roleArn;
            RoleSessionName = roleSessionName;
            DurationSeconds = durationSeconds;
            Policy = policy;
            ExternalId = externalId;
        }

        public string RoleArn { get; }
        public string RoleSessionName { get; }
        public int DurationSeconds { get; }
        public string? Policy { get; }
        public string? ExternalId { get; }
    }
}
