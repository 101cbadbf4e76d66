namespace Dypls
{
    /// <summary>
    /// What kind of failure an error is, decided where the error is made. The names are those of PowerShell's
    /// ErrorCategory, so the module maps them by name; the core stays free of PowerShell types.
    /// </summary>
    public enum FailureCategory
    {
        NotSpecified,
        InvalidArgument,
        InvalidData,
        InvalidOperation,
        InvalidResult,
        AuthenticationError,
        PermissionDenied,
        ObjectNotFound,
        ResourceBusy,
        ResourceUnavailable,
        LimitsExceeded,
        OperationTimeout,
        ConnectionError,
        WriteError,
        SecurityError,
    }
}
