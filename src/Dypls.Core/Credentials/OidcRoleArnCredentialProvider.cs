using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// A role assumed with AssumeRoleWithOIDC (RRSA on Container Service): the token file is read at every refresh,
    /// because the cluster rotates it.
    /// </summary>
    internal sealed class OidcRoleArnCredentialProvider : RefreshingCredentialProvider
    {
        private readonly StsClient _sts;
        private readonly StsRoleRequest _request;
        private readonly string _providerArn;
        private readonly string _tokenFile;
        private readonly string _origin;

        public OidcRoleArnCredentialProvider(string oidcProviderArn, string oidcTokenFile, StsClient sts, StsRoleRequest request, string origin, Func<DateTimeOffset>? clock = null)
            : base(clock)
        {
            _providerArn = oidcProviderArn;
            _tokenFile = oidcTokenFile;
            _sts = sts;
            _request = request;
            _origin = origin;
            Description = $"{origin}: OIDC role {request.RoleArn}, provider {oidcProviderArn}, token file {oidcTokenFile}, session '{request.RoleSessionName}', via STS {sts.Endpoint}";
        }

        public override string Description { get; }

        public StsClient Sts => _sts;

        protected override Task<AccessKeyCredential> FetchAsync(CancellationToken cancellationToken)
        {
            string token;
            try
            {
                token = File.ReadAllText(_tokenFile).Trim();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException)
            {
                throw new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                    $"The OIDC token file {_tokenFile} ({_origin}) could not be read ({ex.GetType().Name}). On Container Service, RRSA mounts it into the pod: check the pod's service account and that RRSA is enabled; elsewhere, check the path.");
            }
            if (token.Length == 0)
                throw new CredentialException(CredentialErrorIds.CredentialSourceFailed, $"The OIDC token file {_tokenFile} ({_origin}) is empty.");
            return _sts.AssumeRoleWithOidcAsync(_providerArn, token, _request, $"{_origin}, OIDC role {_request.RoleArn}", cancellationToken);
        }
    }
}
