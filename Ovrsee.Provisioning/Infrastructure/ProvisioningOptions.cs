namespace Ovrsee.Provisioning.Infrastructure;

/// <summary>Bound from the <c>Provisioning</c> section.</summary>
public sealed class ProvisioningOptions
{
    public const string SectionName = "Provisioning";

    /// <summary>How often the reconciler looks for purchases left pending (a crash, a Twilio outage).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A pending purchase untouched this long, and not locked by a live request, is reconciled:
    /// recorded if the number is on the account, forgotten if it is not.
    /// </summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the public-URL check waits for our /health to answer through the public URL.</summary>
    public TimeSpan PublicUrlProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class ProvisioningOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<ProvisioningOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ProvisioningOptions options) =>
        options.ReconcileInterval <= TimeSpan.Zero || options.ReconcileAfter < TimeSpan.Zero || options.PublicUrlProbeTimeout <= TimeSpan.Zero
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail("Provisioning:ReconcileInterval and PublicUrlProbeTimeout must be positive, ReconcileAfter not negative.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
