using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Dypls.Completion
{
    /// <summary>-ThrottleLimit completes to Auto and a few useful fixed numbers.</summary>
    public sealed class ThrottleLimitCompleter : IArgumentCompleter
    {
        private static readonly string[] Values = { "Auto", "4", "8", "16", "32", "64", "128" };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (var v in Values)
            {
                if (v.StartsWith(wordToComplete ?? string.Empty, System.StringComparison.OrdinalIgnoreCase))
                    yield return new CompletionResult(v, v, CompletionResultType.ParameterValue, v == "Auto" ? "Find the best concurrency as the run goes (default)" : v + " concurrent rows");
            }
        }
    }
}
