using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Ovrsee.Tests.Infrastructure;
using static Ovrsee.Tests.Calls.CallsApiClient;

namespace Ovrsee.Tests.Calls;

[Trait("Category", "Slow")]
public class CallsAuthTests(WebhookApiFixture api) : IClassFixture<WebhookApiFixture>
{
    private HttpClient Http => api.Twilio.Http;

    public static TheoryData<string, string> BadTokens => new()
    {
        { "none", "A bearer token is required" },
        { "expired", "expired" },
        { "wrong-audience", "audience" },
        { "bad-signature", "signature" },
        { "garbage", "not valid" },
        { "no-sub", "no sub claim" },
        { "bad-sub", "sub claim is not a user id" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Requests_without_a_valid_token_get_401_problem_details(string kind, string detail)
    {
        var user = Guid.NewGuid();
        var token = kind switch
        {
            "none" => null,
            "expired" => TokenFor(user, TimeSpan.FromMinutes(5), now: DateTime.UtcNow.AddHours(-2)),
            "wrong-audience" => TokenFor(user, audience: "anon"),
            "bad-signature" => TokenFor(user, secret: "another-secret-that-is-long-enough-000000000000"),
            "no-sub" => SignedToken(new Claim("role", "authenticated")),
            "bad-sub" => SignedToken(new Claim("sub", "not-a-uuid"), new Claim("role", "authenticated")),
            _ => "not.a.jwt",
        };

        var response = await GetAsync(Http, "/api/aloha/calls", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A genuine token (right secret and audience) with exactly these claims.</summary>
    private static string SignedToken(params Claim[] claims) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity(claims),
        Audience = "authenticated",
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(
            new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestServiceEnvironment.JwtSecret)), SecurityAlgorithms.HmacSha256),
    });

    [Fact]
    public async Task A_user_in_no_workspace_gets_403_and_a_user_in_several_must_choose()
    {
        var loner = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(Http, "/api/aloha/calls", TokenFor(loner))).StatusCode);

        var busy = Guid.NewGuid();
        var a = await Seed.WorkspaceAsync(api.Admin, "A");
        var b = await Seed.WorkspaceAsync(api.Admin, "B");
        await Seed.MemberAsync(api.Admin, a, busy);
        await Seed.MemberAsync(api.Admin, b, busy);

        var ambiguous = await GetAsync(Http, "/api/aloha/calls", TokenFor(busy));
        Assert.Equal(HttpStatusCode.BadRequest, ambiguous.StatusCode);
        Assert.Contains("X-Workspace-Id", await ambiguous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(Http, "/api/aloha/calls", TokenFor(busy), b)).StatusCode);
    }

    [Fact]
    public async Task A_workspace_header_that_is_not_a_uuid_is_400_naming_the_header()
    {
        var user = Guid.NewGuid();
        await Seed.MemberAsync(api.Admin, await Seed.WorkspaceAsync(api.Admin), user);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/aloha/calls");
        request.Headers.Authorization = new("Bearer", TokenFor(user));
        request.Headers.Add("X-Workspace-Id", "workspace-a");

        var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("X-Workspace-Id", await response.Content.ReadAsStringAsync());
    }
}
