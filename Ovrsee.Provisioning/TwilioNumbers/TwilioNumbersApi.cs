using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ovrsee.Auth;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account.AvailablePhoneNumberCountry;
using Twilio.Types;

namespace Ovrsee.Provisioning.TwilioNumbers;

/// <summary>Finding Twilio numbers a workspace can buy (the purchase itself: Purchases/PurchaseNumberApi).</summary>
public static partial class TwilioNumbersApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 50;

    public static RouteGroupBuilder MapTwilioNumbersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/telephony/twilio").WithTags("Twilio numbers")
            .WithMetadata(new RequestSizeLimitAttribute(BadRequestBodyHandler.MaxBodyBytes));

        api.MapGet("/available-numbers", SearchAvailableNumbers)
            .RequireWorkspace()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status502BadGateway)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("SearchAvailableNumbers")
            .WithSummary("Numbers Twilio offers that can take calls, by country, area code, pattern and type.");
        return api;
    }

    /// <param name="country">ISO 3166-1 alpha-2 country code (default US).</param>
    /// <param name="areaCode">Three-digit area code (US and Canada).</param>
    /// <param name="contains">Digits or letters the number must contain; * matches any one character.</param>
    /// <param name="type">local (default), tollfree or mobile.</param>
    /// <param name="limit">1-50 (default 20).</param>
    public static async Task<Results<Ok<AvailableNumberList>, ValidationProblem>> SearchAvailableNumbers(
        ITwilioRestClient twilio, CancellationToken cancellationToken,
        string? country = null, string? areaCode = null, string? contains = null, string? type = null, string? limit = null)
    {
        var errors = new RequestErrors();
        var countryCode = string.IsNullOrWhiteSpace(country) ? "US" : country.Trim().ToUpperInvariant();
        if (!CountryPattern().IsMatch(countryCode))
        {
            errors.Add("country", "Must be a two-letter ISO country code, e.g. US.");
        }
        int? area = null;
        if (!string.IsNullOrWhiteSpace(areaCode))
        {
            if (!AreaCodePattern().IsMatch(areaCode))
            {
                errors.Add("areaCode", "Must be a three-digit area code, e.g. 415.");
            }
            else if (countryCode is not ("US" or "CA"))
            {
                errors.Add("areaCode", "Area codes apply to US and CA numbers only.");
            }
            else
            {
                area = int.Parse(areaCode);
            }
        }
        if (!string.IsNullOrWhiteSpace(contains) && !ContainsPattern().IsMatch(contains))
        {
            errors.Add("contains", "Must be 1-16 digits or letters; * matches any one character.");
        }
        var numberType = (type ?? "local").Trim().ToLowerInvariant();
        if (numberType is not ("local" or "tollfree" or "mobile"))
        {
            errors.Add("type", "Must be local, tollfree or mobile.");
        }
        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            errors.Add("limit", $"Must be a whole number from 1 to {MaxLimit}.");
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid search.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        contains = string.IsNullOrWhiteSpace(contains) ? null : contains;
        // Aloha answers calls: a number that cannot take them is no use (VoiceEnabled).
        IEnumerable<AvailableNumber?> found = numberType switch
        {
            "tollfree" => (await TollFreeResource.ReadAsync(new ReadTollFreeOptions(countryCode)
                    { AreaCode = area, Contains = contains, VoiceEnabled = true, PageSize = pageSize, Limit = pageSize }, twilio)).FirstPageOnly()
                .Select(n => Available(n.PhoneNumber, n.FriendlyName, n.Locality, n.Region, n.PostalCode, n.IsoCountry, n.AddressRequirements, n.Capabilities)),
            "mobile" => (await MobileResource.ReadAsync(new ReadMobileOptions(countryCode)
                    { AreaCode = area, Contains = contains, VoiceEnabled = true, PageSize = pageSize, Limit = pageSize }, twilio)).FirstPageOnly()
                .Select(n => Available(n.PhoneNumber, n.FriendlyName, n.Locality, n.Region, n.PostalCode, n.IsoCountry, n.AddressRequirements, n.Capabilities)),
            _ => (await LocalResource.ReadAsync(new ReadLocalOptions(countryCode)
                    { AreaCode = area, Contains = contains, VoiceEnabled = true, PageSize = pageSize, Limit = pageSize }, twilio)).FirstPageOnly()
                .Select(n => Available(n.PhoneNumber, n.FriendlyName, n.Locality, n.Region, n.PostalCode, n.IsoCountry, n.AddressRequirements, n.Capabilities)),
        };
        var items = found.OfType<AvailableNumber>().Take(pageSize).ToList();
        return TypedResults.Ok(new AvailableNumberList(countryCode, numberType, items));
    }

    // Local, TollFree and Mobile are three SDK types with the same fields and no common base.
    private static AvailableNumber? Available(
        PhoneNumber? phoneNumber, PhoneNumber? friendlyName, string? locality, string? region, string? postalCode,
        string? isoCountry, string? addressRequirements, PhoneNumberCapabilities? capabilities) =>
        phoneNumber?.ToString() is not { Length: > 0 } number ? null
        : new AvailableNumber(number, friendlyName?.ToString(), locality, region, postalCode, isoCountry, addressRequirements,
            new NumberCapabilities(capabilities?.Voice ?? false, capabilities?.Sms ?? false, capabilities?.Mms ?? false));

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryPattern();

    [GeneratedRegex("^[2-9][0-9]{2}$")]
    private static partial Regex AreaCodePattern();

    [GeneratedRegex("^[0-9A-Za-z*]{1,16}$")]
    private static partial Regex ContainsPattern();
}
