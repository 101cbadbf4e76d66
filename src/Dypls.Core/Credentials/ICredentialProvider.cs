using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>Hands out a current credential; providers of temporary credentials refresh before expiry.</summary>
    internal interface ICredentialProvider
    {
        /// <summary>Human-readable source, safe to log (never contains a secret).</summary>
        string Description { get; }

        Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken);
    }
}
