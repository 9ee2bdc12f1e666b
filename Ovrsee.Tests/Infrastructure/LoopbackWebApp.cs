using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ovrsee.Tests.Infrastructure;

/// <summary>Test doubles are real Kestrel servers on a free loopback port: this starts one and says where.</summary>
public static class LoopbackWebApp
{
    public static WebApplicationBuilder CreateBuilder() =>
        WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });

    /// <returns>The bound address, e.g. http://127.0.0.1:54321.</returns>
    public static async Task<Uri> StartAsync(WebApplication app)
    {
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }
}
