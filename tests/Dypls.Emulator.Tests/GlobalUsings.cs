global using Xunit;

// Test names read as sentences (Method_condition_result); CA1707 is for public API names, which tests are not.
[assembly: System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "xunit test names are sentences with underscores.")]
