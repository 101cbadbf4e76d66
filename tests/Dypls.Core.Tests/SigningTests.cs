namespace Dypls.Core.Tests;
