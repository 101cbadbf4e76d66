using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using Dypls.Credentials;

namespace Dypls.Completion
{
    /// <summary>
    /// Completes -ProfileName with the names in ~/.aliyun/config.json and ~/.alibabacloud/credentials
    /// (or ALIBABA_CLOUD_CREDENTIALS_FILE). Reads names only; never a key or secret.
    /// </summary>
    public sealed class ProfileNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IReadOnlyList<string> names;
            try
            {
                names = CredentialChain.ListProfileNames(new CredentialChainOptions());
            }
            catch (Exception)
            {
                // Completion must never throw into the user's prompt (unreadable home folder and the like).
                yield break;
            }
            var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
            foreach (var name in names)
            {
                // Prefix match, not wildcards: '[' and '*' are legal in INI section names.
                if (!name.StartsWith(typed, StringComparison.OrdinalIgnoreCase)) continue;
                var text = NeedsQuotes(name) ? "'" + name.Replace("'", "''") + "'" : name;
                yield return new CompletionResult(text, name, CompletionResultType.ParameterValue, "Alibaba Cloud profile " + name);
            }
        }

        private static bool NeedsQuotes(string name)
        {
            foreach (var c in name)
            {
                if (char.IsWhiteSpace(c) || "'\"`$;,(){}[]@#&|<>".IndexOf(c) >= 0) return true;
            }
            return false;
        }
    }
}
