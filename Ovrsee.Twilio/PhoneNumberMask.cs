namespace Ovrsee.Twilio;

/// <summary>
/// Masks caller numbers for logs: enough left to correlate a call (country/area code and
/// last four digits), not enough to identify the caller.
/// </summary>
public static class PhoneNumberMask
{
    private const int KeptPrefix = 5; // "+1415"
    private const int KeptSuffix = 4; // "1234"
    private const string Hidden = "***";

    /// <example><c>Mask("+14155551234") == "+1415***1234"</c></example>
    public static string Mask(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        // Too short to keep both ends without revealing most of it.
        if (value.Length <= KeptPrefix + KeptSuffix)
        {
            return Hidden;
        }

        return string.Concat(value.AsSpan(0, KeptPrefix), Hidden, value.AsSpan(value.Length - KeptSuffix));
    }
}
