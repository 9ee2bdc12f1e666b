using System.Net;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Ovrsee.Auth;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Provisioning.PhoneNumbers;
using Ovrsee.Provisioning.TwilioNumbers;
using Ovrsee.Twilio.Rest;
using Twilio.Clients;
using Twilio.Rest.Api.V2010.Account;

namespace Ovrsee.Provisioning.WebhookConfiguration;

/// <summary>(Re)pointing a number's Twilio webhooks at Aloha: after a move to a new public URL, or to repair one.</summary>
public static class WebhookConfigurationApi
{
    public static RouteHandlerBuilder MapWebhookConfigurationApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/aloha/configure-webhooks", ConfigureWebhooks)
            .RequireWorkspace("owner", "admin")
            .WithMetadata(new RequestSizeLimitAttribute(BadRequestBodyHandler.MaxBodyBytes))
            .WithTags("Phone numbers")
            .Accepts<ConfigureWebhooksRequest>("application/json")
            .Produces<ProvisionedNumber>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("ConfigureWebhooks")
            .WithSummary("Points the number's calls and status callbacks at the public webhook URL, records when, and checks that URL answers.");

    public static async Task<IResult> ConfigureWebhooks(
        HttpContext context, NpgsqlDataSource dataSource, ITwilioRestClient twilio, WebhookTargets targets, PublicUrlProbe probe,
        CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var body = await RequestValidation.ReadObjectAsync(context.Request, errors, cancellationToken, "phoneNumberId");
        Guid id = default;
        if (body is { } json && !Guid.TryParse(RequestValidation.OptionalString(json, "phoneNumberId", errors, out _), out id) && !errors.ContainsKey("phoneNumberId"))
        {
            errors.Add("phoneNumberId", "Required: the id (UUID) of one of the workspace's numbers.");
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid request.");
        }

        WebhookEndpoints endpoints;
        PhoneNumberDto number;
        await using (var scope = await context.GetWorkspace().BeginScopeAsync(dataSource, cancellationToken))
        {
            // Another workspace's number is simply not found.
            if (await PhoneNumberStore.GetAsync(scope, id, forUpdate: true, cancellationToken) is not { } found)
            {
                return PhoneNumbersApi.NotFound();
            }
            if (!found.IsActive)
            {
                return TypedResults.Problem(statusCode: 409, title: "Number released", detail: "This number was released; it has no webhooks to configure.");
            }
            // Only now: a number that is not there is a 404 whatever the configuration.
            endpoints = targets.Resolve();
            if (await twilio.SidOfAsync(found, cancellationToken) is not { } sid)
            {
                return NotOnAccount();
            }
            try
            {
                await IncomingPhoneNumberResource.UpdateAsync(endpoints.ToUpdate(sid), twilio);
            }
            catch (TwilioApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return NotOnAccount();
            }
            number = await PhoneNumberStore.MarkWebhooksConfiguredAsync(scope, id, sid, cancellationToken);
            await scope.CommitAsync(cancellationToken);
        }

        var check = await probe.CheckAsync(endpoints.HealthUrl, cancellationToken);
        return TypedResults.Ok(new ProvisionedNumber(number, endpoints.ToSetup(check)));
    }

    private static IResult NotOnAccount() => TypedResults.Problem(statusCode: 409, title: "Not on the Twilio account",
        detail: "Twilio does not have this number on the account (any more). Release it here, or buy it again.");
}
