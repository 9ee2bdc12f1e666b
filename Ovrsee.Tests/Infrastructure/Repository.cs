namespace Ovrsee.Tests.Infrastructure;

/// <summary>The checkout the tests run from: the folder holding Ovrsee.Aspire.sln.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ovrsee.Aspire.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"Ovrsee.Aspire.sln not found above {AppContext.BaseDirectory}.");
    }
}
