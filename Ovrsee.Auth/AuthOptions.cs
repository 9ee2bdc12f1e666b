using System.Text;
using Microsoft.Extensions.Options;

namespace Ovrsee.Auth;

/// <summary>
/// Two ways to accept a bearer token, usable together: the Supabase project's HS256 JWT secret
/// (what the existing front end's tokens are signed with) and an OIDC authority (JWKS).
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Supabase "JWT Secret" (Project Settings → API). At least 32 bytes.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>Checked only when set, e.g. https://&lt;project&gt;.supabase.co/auth/v1.</summary>
    public string? JwtIssuer { get; set; }

    /// <summary>Supabase puts "authenticated" in aud for signed-in users.</summary>
    public string Audience { get; set; } = "authenticated";

    /// <summary>An OIDC issuer whose discovery document and JWKS validate RS256/ES256 tokens.</summary>
    public string? Authority { get; set; }

    /// <summary>Audience expected from the OIDC authority (defaults to <see cref="Audience"/>).</summary>
    public string? AuthorityAudience { get; set; }

    public int UserRequestsPerMinute { get; set; } = 600;

    public override string ToString() => $"AuthOptions {{ JwtSecret = {(string.IsNullOrEmpty(JwtSecret) ? "unset" : "***")}, Authority = {Authority ?? "unset"} }}";
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.JwtSecret) && string.IsNullOrWhiteSpace(options.Authority))
        {
            return ValidateOptionsResult.Fail(
                "No way to validate bearer tokens: set Auth:JwtSecret (env Auth__JwtSecret, the Supabase JWT secret) and/or Auth:Authority (an OIDC issuer).");
        }
        if (!string.IsNullOrWhiteSpace(options.JwtSecret) && Encoding.UTF8.GetByteCount(options.JwtSecret) < 32)
        {
            return ValidateOptionsResult.Fail("Auth:JwtSecret must be at least 32 bytes (HS256 keys shorter than the hash are weak).");
        }
        if (!string.IsNullOrWhiteSpace(options.Authority) && !Uri.TryCreate(options.Authority, UriKind.Absolute, out _))
        {
            return ValidateOptionsResult.Fail("Auth:Authority must be an absolute URL.");
        }
        return ValidateOptionsResult.Success;
    }
}
