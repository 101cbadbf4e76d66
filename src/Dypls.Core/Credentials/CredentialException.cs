namespace Dypls.Credentials
{
    /// <summary>A credential source exists but is unusable (unknown profile, bad file, metadata service failure).</summary>
    public sealed class CredentialException : DyplsException
    {
        public CredentialException(string errorId, string message, System.Exception? inner = null) : base(errorId, message, inner) { }

        /// <summary>Every credential failure hits every row alike: the chain resolves once per run.</summary>
        public override bool StopsRun => true;

        public override FailureCategory Category => FailureCategory.AuthenticationError;
    }
}
