using Microsoft.AspNetCore.Mvc;
using Ovrsee.Auth;
using Ovrsee.Provisioning.Infrastructure;
using Ovrsee.Provisioning.WebhookConfiguration;

namespace Ovrsee.Provisioning.Purchases;

/// <summary>
/// Buying a Twilio number for the caller's workspace. Same route prefix as the search
/// (<c>/api/telephony/twilio</c>, TwilioNumbers/TwilioNumbersApi), its own group: the purchase's
/// rules (idempotency, reconciliation) are this folder's.
/// </summary>
public static class PurchaseNumberApi
{
    public static RouteGroupBuilder MapPurchaseNumberApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/telephony/twilio").WithTags("Twilio numbers")
            .WithMetadata(new RequestSizeLimitAttribute(BadRequestBodyHandler.MaxBodyBytes));

        api.MapPost("/purchase-number", PurchaseNumber)
            .RequireWorkspace("owner", "admin")
            .Accepts<PurchaseNumberRequest>("application/json")
            .Produces<ProvisionedNumber>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("PurchaseNumber")
            .WithSummary("Buys a number for the workspace and points its calls at Aloha. Send an Idempotency-Key to retry safely.");
        return api;
    }

    public static async Task<IResult> PurchaseNumber(HttpContext context, NumberPurchaser purchaser, CancellationToken cancellationToken)
    {
        var errors = new RequestErrors();
        var key = RequestValidation.IdempotencyKey(context.Request, errors);
        var body = await RequestValidation.ReadObjectAsync(context.Request, errors, cancellationToken, "phoneNumber", "friendlyName");
        string? phoneNumber = null, friendlyName = null;
        if (body is { } json)
        {
            phoneNumber = RequestValidation.PhoneNumber(json, "phoneNumber", errors);
            friendlyName = RequestValidation.FriendlyName(RequestValidation.OptionalString(json, "friendlyName", errors, out _), "friendlyName", errors);
        }
        if (errors.Count > 0 || phoneNumber is null)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid purchase request.");
        }

        return await purchaser.PurchaseAsync(context.GetWorkspace(), new PurchaseNumberRequest(phoneNumber, friendlyName), key, cancellationToken);
    }
}
