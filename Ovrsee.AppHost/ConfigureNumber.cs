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

    /// <param name="bearerToken">The dev workspace owner's token: numbers bought in the dev workspace are theirs to configure.</param>
    public static async Task RunAsync(string phoneNumberId, string provisioningEndpoint, string? publicBaseUrl, string bearerToken, CancellationToken cancellationToken)
    {
        if (publicBaseUrl is null)
        {
            Console.WriteLine($"--configure-number {phoneNumberId}: not done. Twilio cannot call 127.0.0.1; add --tunnel <provider> or --public-url <https-url>.");
            return;
        }

        using var http = new HttpClient { BaseAddress = new Uri(provisioningEndpoint), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerToken);
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
                HttpStatusCode.NotFound => "  No such number in the dev workspace; use a phoneNumberId from GET /api/telephony/phone-numbers, or paste the URLs above into the Twilio Console.",
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "  The dev owner may not configure this number; call configure-webhooks with the owner's own token, or paste the URLs above into the Twilio Console.",
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
