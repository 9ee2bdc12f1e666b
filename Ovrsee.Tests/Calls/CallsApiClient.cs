using System.Net.Http.Headers;
using System.Text.Json;
using Ovrsee.Auth;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Calls;

/// <summary>The front end's side: bearer tokens like Supabase's, JSON back.</summary>
public static class CallsApiClient
{
    public static string TokenFor(Guid userId, TimeSpan? lifetime = null, string audience = "authenticated", string? secret = null, DateTime? now = null) =>
        SupabaseStyleToken.Create(secret ?? TestServiceEnvironment.JwtSecret, userId, lifetime ?? TimeSpan.FromHours(1), audience, now: now);

    public static async Task<HttpResponseMessage> GetAsync(HttpClient http, string pathAndQuery, string? token, Guid? workspace = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (workspace is not null)
        {
            request.Headers.Add("X-Workspace-Id", workspace.ToString());
        }
        return await http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
