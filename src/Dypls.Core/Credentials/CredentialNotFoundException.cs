using System.Collections.Generic;
using System.Linq;

namespace Dypls.Credentials
{
    /// <summary>No source in the chain had a credential. The message lists every place that was looked at.</summary>
    public sealed class CredentialNotFoundException : DyplsException
    {
        public CredentialNotFoundException(IReadOnlyList<string> placesLookedAt)
            : base("CredentialNotFound",
                "No Alibaba Cloud credential was found. Looked at, in order:" +
                string.Concat(placesLookedAt.Select(p => "\n  - " + p)) +
                "\nGive one with -Credential, -AccessKeyId/-AccessKeySecret, -ProfileName, or the ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET environment variables.")
        {
            PlacesLookedAt = placesLookedAt;
        }

        public IReadOnlyList<string> PlacesLookedAt { get; }

        public override bool StopsRun => true;

        public override FailureCategory Category => FailureCategory.AuthenticationError;
    }
}
