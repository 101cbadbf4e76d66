using System;
using System.Management.Automation;
using System.Reflection;

namespace Dypls.Commands
{
    /// <summary>
    /// Keeps -Debug from turning into prompts. In Windows PowerShell 5.1, -Debug on a cmdlet makes its debug
    /// preference Inquire (every debug line asks "Continue with this operation?") and lowers its confirm preference to
    /// Low (every row asks "Are you sure?"). Interactively that is a prompt per row; in a runbook or
    /// <c>powershell.exe -NonInteractive</c> the first prompt fails the whole run. PowerShell 7 changed -Debug to mean
    /// Continue, which is what the user asked for; this gives 5.1 the same. -Confirm given explicitly, or a
    /// $DebugPreference / $ConfirmPreference the user set, are left alone.
    /// </summary>
    internal static class PromptGuard
    {
        private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

        public static void Apply(PSCmdlet cmdlet)
        {
            var bound = cmdlet.MyInvocation.BoundParameters;
            if (!bound.TryGetValue("Debug", out var debug) || !IsSet(debug)) return;
            var runtime = cmdlet.CommandRuntime;
            if (runtime == null) return;
            try
            {
                // The runtime's internal DebugPreference (MshCommandRuntime, 5.1 and 7 alike): Inquire only because of -Debug.
                var debugPreference = runtime.GetType().GetProperty("DebugPreference", Internal);
                if (debugPreference?.CanWrite == true && debugPreference.GetValue(runtime) is ActionPreference p && p == ActionPreference.Inquire)
                {
                    debugPreference.SetValue(runtime, ActionPreference.Continue);
                }

                // -Debug also lowers the confirm preference in 5.1. Where the user's own $ConfirmPreference would not ask
                // for this cmdlet's impact, make it -Confirm:$false, as if given; an explicit -Confirm is the user's.
                if (!bound.ContainsKey("Confirm") && !WouldConfirm(cmdlet))
                {
                    var confirm = runtime.GetType().GetProperty("Confirm", Internal);
                    if (confirm?.CanWrite == true && confirm.PropertyType == typeof(SwitchParameter)) confirm.SetValue(runtime, new SwitchParameter(false));
                    else if (confirm?.CanWrite == true && confirm.PropertyType == typeof(bool)) confirm.SetValue(runtime, false);
                }
            }
            catch (Exception ex) when (ex is TargetInvocationException || ex is ArgumentException || ex is MethodAccessException || ex is InvalidOperationException)
            {
                // A host whose runtime differs keeps PowerShell's own behaviour.
            }
        }

        private static bool IsSet(object? value) => value is SwitchParameter s ? s.IsPresent : value is bool b && b;

        /// <summary>Whether the session's $ConfirmPreference (as the user set it, not as -Debug changed it) asks before this cmdlet acts.</summary>
        private static bool WouldConfirm(PSCmdlet cmdlet)
        {
            var impact = ConfirmImpact.Medium;
            foreach (var a in cmdlet.GetType().GetCustomAttributes(typeof(CmdletAttribute), inherit: true))
            {
                impact = ((CmdletAttribute)a).ConfirmImpact;
            }
            var preference = cmdlet.GetVariableValue("ConfirmPreference");
            var value = preference is PSObject pso ? pso.BaseObject : preference;
            ConfirmImpact session;
            if (value is ConfirmImpact ci) session = ci;
            else if (value is string s && Enum.TryParse(s, ignoreCase: true, out ConfirmImpact parsed)) session = parsed;
            else session = ConfirmImpact.High; // PowerShell's default
            return session != ConfirmImpact.None && impact >= session;
        }
    }
}
