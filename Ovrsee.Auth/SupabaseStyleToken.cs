using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ovrsee.Auth;

/// <summary>Mints a token shaped like Supabase's (HS256, aud "authenticated", sub = user id): for dev-token and tests.</summary>
public static class SupabaseStyleToken
{
    public static string Create(string jwtSecret, Guid userId, TimeSpan lifetime, string audience = "authenticated", string? issuer = null, DateTime? now = null)
    {
        var issuedAt = now ?? DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("role", "authenticated")]),
            Audience = audience,
            Issuer = issuer,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwtSecret)), SecurityAlgorithms.HmacSha256),
        });
    }
}
