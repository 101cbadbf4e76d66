using System.Management.Automation;

namespace Dypls.Validation
{
    /// <summary>
    /// Checks a -Credential before any request, with a message that says what goes where: a PSCredential
    /// with an empty password (PSCredential.Empty, a prompt dismissed) would otherwise fail much later.
    /// </summary>
    public sealed class ValidateAccessKeyCredentialAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            var value = arguments is PSObject pso ? pso.BaseObject : arguments;
            if (!(value is PSCredential credential)) return; // the binder reports wrong types itself
            if (string.IsNullOrWhiteSpace(credential.UserName))
            {
                throw new ValidationMetadataException(
                    "The credential has no user name. Put the AccessKeyId in the user name and the AccessKeySecret in the password, e.g. Get-Credential -UserName LTAI...");
            }
            if (credential.Password is null || credential.Password.Length == 0)
            {
                throw new ValidationMetadataException(
                    $"The credential for '{credential.UserName}' has an empty password. The password must be the AccessKeySecret that belongs to this AccessKeyId.");
            }
        }
    }
}
