using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.Gateway.Api;
using Corral.Hosting.Faults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>An outage of the database or the silos is answered 503 with Retry-After; a fault of the request is not.</summary>
public sealed class UnavailabilityTests
{
    public static TheoryData<Exception, UnavailablePart> Failures => new()
    {
        { new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)), UnavailablePart.Database },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown), UnavailablePart.Database },
        { new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow), UnavailablePart.Database },
        { new DatabaseUnavailableException("NpgsqlException: Exception while reading from stream", isTransient: true), UnavailablePart.Database },
        { new InvalidOperationException("storage write failed", new NpgsqlException("Exception while reading from stream", new EndOfStreamException())), UnavailablePart.Database },
        { new CodecNotFoundException("Could not find a codec for type Npgsql.NpgsqlException."), UnavailablePart.Database },
        { new CodecNotFoundException("Could not find a codec for type Corral.Jobs.SomethingElse."), UnavailablePart.None },
        // Orleans' storage bridge wraps a failed state read: the database in it decides, not the wrapping.
        { new OrleansException("Error from storage provider during ReadStateAsync", new DatabaseUnavailableException("NpgsqlException: Failed to connect", isTransient: true)), UnavailablePart.Database },
        { new OrleansException("Error from storage provider during ReadStateAsync", new DatabaseUnavailableException("PostgresException: 42P01: relation does not exist", isTransient: false)), UnavailablePart.None },
        { new SiloUnavailableException("silo S127.0.0.1:11111 is dead"), UnavailablePart.Cluster },
        { new TimeoutException("Response did not arrive on time in 00:00:30"), UnavailablePart.Cluster },
        { new OrleansException("Could not find any gateway"), UnavailablePart.Cluster },
        { new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation), UnavailablePart.None },
        { new DatabaseUnavailableException("PostgresException: 42P01: relation does not exist", isTransient: false), UnavailablePart.None },
        { new ArgumentException("bad spec"), UnavailablePart.None },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void AFailure_IsClassifiedByWhatCouldNotAnswer(Exception failure, UnavailablePart expected) =>
        Assert.Equal(expected, Unavailability.Classify(failure));

    [Fact]
    public async Task ADatabaseOutage_IsAnswered503_WithRetryAfter_AndAProblemNamingTheDatabase()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var outage = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));

        Assert.True(await new ServiceUnavailableHandler(Microsoft.Extensions.Logging.Abstractions.NullLogger<ServiceUnavailableHandler>.Instance).TryHandleAsync(context, outage, CancellationToken.None));

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("2", context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("application/problem+json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        var problem = (await JsonSerializer.DeserializeAsync<JsonObject>(context.Response.Body))!;
        Assert.Equal("Database unavailable", problem["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFaultOfTheRequest_IsLeftToTheNextHandler()
    {
        var context = new DefaultHttpContext();
        Assert.False(await new ServiceUnavailableHandler(Microsoft.Extensions.Logging.Abstractions.NullLogger<ServiceUnavailableHandler>.Instance).TryHandleAsync(context, new ArgumentException("bad spec"), CancellationToken.None));
        Assert.Equal(200, context.Response.StatusCode);
    }

    [Fact]
    public void ADatabaseFailureInAGrain_CrossesTheWire_WithItsMessageAndTransience()
    {
        var serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(DatabaseUnavailableException).Assembly))
            .BuildServiceProvider().GetRequiredService<Serializer>();
        var npgsql = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        var wrapped = new DatabaseUnavailableException($"{npgsql.GetType().Name}: {npgsql.Message}", npgsql.IsTransient);

        var received = Assert.IsType<DatabaseUnavailableException>(serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(wrapped)));

        Assert.Equal("NpgsqlException: Failed to connect to 127.0.0.1:5432", received.Message);
        Assert.True(received.IsTransient);
        Assert.Equal(UnavailablePart.Database, Unavailability.Classify(received));
    }

    [Fact]
    public void TheFilter_FindsTheNpgsqlCause_InsideOrleansWrapping()
    {
        var npgsql = new NpgsqlException("Exception while reading from stream", new EndOfStreamException());
        Assert.Same(npgsql, DatabaseFailure.FindNpgsql(new OrleansException("Error from storage provider during WriteStateAsync", npgsql)));
        Assert.Null(DatabaseFailure.FindNpgsql(new OrleansException("no database here")));
        var outage = DatabaseFailure.AsUnavailable(new OrleansException("Error from storage provider during ReadStateAsync", npgsql))!;
        Assert.Equal(("NpgsqlException: Exception while reading from stream", true), (outage.Message, outage.IsTransient));
        Assert.Null(DatabaseFailure.AsUnavailable(new ArgumentException("bad spec")));
    }
}
