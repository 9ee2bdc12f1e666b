using System.Net;
using System.Net.Http.Json;

namespace Ovrsee.AppHost;

/// <summary>
/// --configure-number &lt;phoneNumberId&gt;: asks Provisioning to point that Twilio number at our public
/// webhooks, instead of pasting the URLs into the Twilio Console by hand, and reports the HTTP result.
/// </summary>
internal static class ConfigureNumber
{
    public const string Path = "/api/aloha/configure-webhooks";

    public static async Task RunAsync(string phoneNumberId, string provisioningEndpoint, string? publicBaseUrl, CancellationToken cancellationToken)
    {
        if (publicBaseUrl is null)
        {
            Console.WriteLine($"--configure-number {phoneNumberId}: not done. Twilio cannot call 127.0.0.1; add --tunnel <provider> or --public-url <https-url>.");
            return;
        }

        using var http = new HttpClient { BaseAddress = new Uri(provisioningEndpoint), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var response = await http.PostAsJsonAsync(Path, new { phoneNumberId, publicBaseUrl }, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            Console.WriteLine($"--configure-number {phoneNumberId}: POST {provisioningEndpoint}{Path} → HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            if (body.Length > 0)
            {
                Console.WriteLine("  " + (body.Length > 600 ? body[..600] + "…" : body));
            }
            Console.WriteLine(response.StatusCode switch
            {
                HttpStatusCode.NotFound => "  Provisioning does not offer this endpoint (yet); paste the URLs above into the Twilio Console instead.",
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "  Provisioning wants a signed-in user for this; paste the URLs above into the Twilio Console instead.",
                _ when response.IsSuccessStatusCode => "  The number now sends its calls to the URLs above.",
                _ => "  Not configured; paste the URLs above into the Twilio Console instead.",
            });
        }
        catch (HttpRequestException ex)
        {
            Console.WriteLine($"--configure-number {phoneNumberId}: Provisioning did not answer ({ex.Message}).");
        }
    }
}
