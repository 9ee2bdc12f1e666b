using Ovrsee.Data;

namespace Ovrsee.Provisioning.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(DatabaseExtensions.ConnectionName);
    }
}
