using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// A role assumed with AssumeRole, signed by another provider's credential: a RAM user's AccessKey (RamRoleArn,
    /// ram_role_arn), another profile (ChainableRamRoleArn with source_profile) or the ECS role (RamRoleArnWithRoleName).
    /// </summary>
    internal sealed class RamRoleArnCredentialProvider : RefreshingCredentialProvider
    {
        private readonly ICredentialProvider _source;
        private readonly StsClient _sts;
        private readonly StsRoleRequest _request;
        private readonly string _origin;

        /// <param name="origin">Where the settings came from, safe to log, e.g. "profile 'prod' (mode RamRoleArn) in ~/.aliyun/config.json".</param>
        public RamRoleArnCredentialProvider(ICredentialProvider source, StsClient sts, StsRoleRequest request, string origin, Func<DateTimeOffset>? clock = null)
            : base(clock)
        {
            _source = source ?? throw new ArgumentNullException(nameof(source));
            _sts = sts ?? throw new ArgumentNullException(nameof(sts));
            _request = request ?? throw new ArgumentNullException(nameof(request));
            _origin = origin;
            Description = $"{origin}: role {request.RoleArn}, session '{request.RoleSessionName}', via STS {sts.Endpoint}, signed by [{source.Description}]";
        }

        public override string Description { get; }

        public StsClient Sts => _sts;

        protected override async Task<AccessKeyCredential> FetchAsync(CancellationToken cancellationToken)
        {
            var caller = await _source.GetCredentialAsync(cancellationToken).ConfigureAwait(false);
            return await _sts.AssumeRoleAsync(caller, _request, $"{_origin}, role {_request.RoleArn}", cancellationToken).ConfigureAwait(false);
        }
    }
}
