using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>A credential known up front (parameters, environment, a profile file); nothing to fetch or refresh.</summary>
    internal sealed class StaticCredentialProvider : ICredentialProvider
    {
        private readonly Task<AccessKeyCredential> _credential;

        public StaticCredentialProvider(AccessKeyCredential credential, string description)
        {
            if (credential is null) throw new ArgumentNullException(nameof(credential));
            _credential = Task.FromResult(credential);
            Description = description ?? throw new ArgumentNullException(nameof(description));
        }

        public string Description { get; }

        public Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return _credential;
        }

        public override string ToString() => Description;
    }
}
