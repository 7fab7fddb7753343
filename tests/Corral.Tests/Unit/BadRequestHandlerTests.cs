using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.Gateway.Api;
using Corral.Gateway.Api.Requests;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>What a client reads when the binder refuses a request: a problem naming the member, never the binder's text alone.</summary>
public sealed class BadRequestHandlerTests
{
    [Fact]
    public async Task AWrongJsonType_NamesTheMemberWithItsRule()
    {
        var json = new JsonException("The JSON value could not be converted to System.Double.", "$.resources.cpu", 0, 20);
        var (status, errors) = await HandleAsync(new BadHttpRequestException("Failed to read parameter \"JobSpecRequest body\" from the request body as JSON.", json));
        Assert.Equal(400, status);
        Assert.Equal(JobSpecRules.Cpu, errors["resources.cpu"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Failed to bind parameter \"int? limit\" from \"abc\".", "limit")]
    [InlineData("Required parameter \"string id\" was not provided from route.", "id")]
    [InlineData("Request body too large.", "body")]
    public async Task AParameterTheBinderRefused_IsNamed(string message, string field)
    {
        var (status, errors) = await HandleAsync(new BadHttpRequestException(message));
        Assert.Equal(400, status);
        Assert.Equal(message, errors[field]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task AnyOtherException_IsLeftToTheNextHandler()
    {
        var handler = new BadRequestHandler(Options.Create(JsonOptions()));
        Assert.False(await handler.TryHandleAsync(new DefaultHttpContext(), new InvalidOperationException(), CancellationToken.None));
    }

    private static async Task<(int Status, JsonObject Errors)> HandleAsync(BadHttpRequestException exception)
    {
        var options = JsonOptions();
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddSingleton(Options.Create(options)).BuildServiceProvider(),
        };
        context.Response.Body = new MemoryStream();
        var endpoint = new Endpoint(null, new EndpointMetadataCollection(new AcceptsMetadata(["application/json"], typeof(JobSpecRequest))), "POST /api/jobs");
        context.Features.Set<IExceptionHandlerFeature>(new ExceptionHandlerFeature { Error = exception, Endpoint = endpoint, Path = "/api/jobs" });

        Assert.True(await new BadRequestHandler(Options.Create(options)).TryHandleAsync(context, exception, CancellationToken.None));
        context.Response.Body.Position = 0;
        var problem = (await JsonSerializer.DeserializeAsync<JsonObject>(context.Response.Body))!;
        Assert.Equal("application/problem+json", context.Response.ContentType);
        return (context.Response.StatusCode, problem["errors"]!.AsObject());
    }

    private static JsonOptions JsonOptions()
    {
        var options = new JsonOptions();
        ApiJson.Configure(options.SerializerOptions);
        return options;
    }
}
