using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Ovrsee.Auth;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Routing;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Provisioning.PhoneNumbers;

/// <summary>A workspace's numbers: list (any member), change and release (owners and admins).</summary>
public static class PhoneNumbersApi
{
    public static RouteGroupBuilder MapPhoneNumbersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/telephony/phone-numbers").WithTags("Phone numbers")
            .WithMetadata(new RequestSizeLimitAttribute(BadRequestBodyHandler.MaxBodyBytes));

        api.MapGet("/", ListPhoneNumbers)
            .RequireWorkspace()
            .WithName("ListPhoneNumbers")
            .WithSummary("The workspace's numbers, active first.");
        api.MapPatch("/{id}", UpdatePhoneNumber)
            .RequireWorkspace("owner", "admin")
            .Accepts<UpdatePhoneNumberRequest>("application/json")
            .WithName("UpdatePhoneNumber")
            .WithSummary("Turns voicemail on or off, sets the number's label, its call routing (hours, forwarding, greetings) and who gets a text when someone leaves a voicemail.");
        api.MapDelete("/{id}", ReleasePhoneNumber)
            .RequireWorkspace("owner", "admin")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("ReleasePhoneNumber")
            .WithSummary("Releases the number in Twilio (it stops ringing and billing); its row stays, inactive, for call history.");
        return api;
    }

    /// <param name="includeReleased">Also list released numbers (default false).</param>
    public static async Task<Results<Ok<PhoneNumberList>, ValidationProblem>> ListPhoneNumbers(
        HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken, string? includeReleased = null)
    {
        var includeAll = false;
        if (includeReleased is not null && !bool.TryParse(includeReleased, out includeAll))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["includeReleased"] = ["Must be true or false."] });
        }
        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        return TypedResults.Ok(new PhoneNumberList(await PhoneNumberStore.ListAsync(scope, includeAll, cancellationToken)));
    }

    public static async Task<Results<Ok<PhoneNumberDto>, ValidationProblem, ProblemHttpResult>> UpdatePhoneNumber(
        string id, HttpContext context, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var numberId = ParseId(id, errors);
        var body = await RequestValidation.ReadObjectAsync(context.Request, errors, cancellationToken, "voicemailEnabled", "friendlyName", "routing", "voicemailSmsTo");
        bool? voicemail = null;
        var nameSet = false;
        string? name = null;
        var routingSet = false;
        JsonElement routingJson = default;
        var smsToSet = false;
        string? smsTo = null;
        if (body is { } json)
        {
            voicemail = RequestValidation.OptionalBoolean(json, "voicemailEnabled", errors);
            name = RequestValidation.FriendlyName(RequestValidation.OptionalString(json, "friendlyName", errors, out nameSet), "friendlyName", errors);
            routingSet = json.TryGetProperty("routing", out routingJson);
            smsTo = RequestValidation.OptionalString(json, "voicemailSmsTo", errors, out smsToSet)?.Trim();
            if (smsTo is not null)
            {
                smsTo = RequestValidation.PhoneNumber(json, "voicemailSmsTo", errors);
            }
            if (errors.Count == 0 && voicemail is null && !nameSet && !routingSet && !smsToSet)
            {
                errors.Add("body", "Nothing to change: send voicemailEnabled, friendlyName, routing and/or voicemailSmsTo.");
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid change.");
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        if (await PhoneNumberStore.GetAsync(scope, numberId, forUpdate: true, cancellationToken) is not { } number)
        {
            return NotFound();
        }
        if (!number.IsActive)
        {
            return TypedResults.Problem(statusCode: 409, title: "Number released", detail: "This number was released and can no longer be changed.");
        }
        if (smsTo is not null && smsTo == number.PhoneNumber)
        {
            errors.Add("voicemailSmsTo", "Must be another phone than this number itself: the text is sent from it.");
            return TypedResults.ValidationProblem(errors, title: "Invalid change.");
        }
        // Read after the number is known: a forward target must not be the number itself.
        RoutingSettings? routing = null;
        if (routingSet && routingJson.ValueKind != JsonValueKind.Null)
        {
            routing = RoutingSettingsReader.Read(routingJson, number.PhoneNumber, "routing", errors.Add);
            if (routing is null)
            {
                return TypedResults.ValidationProblem(errors, title: "Invalid change.");
            }
        }
        var updated = await PhoneNumberStore.UpdateAsync(scope, numberId,
            new PhoneNumberChange(voicemail, nameSet, name, routingSet, routing, smsToSet, smsTo), cancellationToken);
        await scope.CommitAsync(cancellationToken);
        return TypedResults.Ok(updated);
    }

    public static async Task<Results<Ok<PhoneNumberDto>, ValidationProblem, ProblemHttpResult>> ReleasePhoneNumber(
        string id, HttpContext context, NpgsqlDataSource dataSource, ITwilioRestClient twilio, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var numberId = ParseId(id, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid number id.");
        }

        await using var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken);
        // Locked while Twilio releases it, so a concurrent change or second release waits.
        if (await PhoneNumberStore.GetAsync(scope, numberId, forUpdate: true, cancellationToken) is not { } number)
        {
            return NotFound();
        }
        if (!number.IsActive)
        {
            // Released already: the same answer again.
            return TypedResults.Ok(number);
        }
        if (await twilio.SidOfAsync(number, cancellationToken) is { } sid)
        {
            try
            {
                await IncomingPhoneNumberResource.DeleteAsync(sid, client: twilio);
            }
            catch (TwilioApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                // Gone from the account already (an earlier release whose answer we lost, or the console).
            }
        }
        var released = await PhoneNumberStore.MarkReleasedAsync(scope, numberId, cancellationToken);
        await scope.CommitAsync(cancellationToken);
        return TypedResults.Ok(released);
    }

    internal static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: 404, title: "Number not found");

    private static Guid ParseId(string id, RequestErrors errors)
    {
        if (!Guid.TryParse(id, out var parsed))
        {
            errors.Add("id", "Must be a phone number id (UUID).");
        }
        return parsed;
    }
}
