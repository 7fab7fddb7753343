using System.Security.Cryptography;
using System.Text;
using Corral.Images;
using Corral.Jobs;
using Corral.Users;
using Corral.Workers;

namespace Corral.Gateway.Jobs;

/// <summary>The outcome of a submission: the accepted job, or the field that stopped it.</summary>
public sealed record Submission(JobView? Job, string? Field, string? Error);

/// <summary>
/// Accepts validated specs: checks the image is allowed (JOB_IMAGES) and on a worker, picks the job id, hands it to
/// its grain.
/// </summary>
public sealed class JobSubmitter(IGrainFactory grains, JobImageAllowList images)
{
    public Task<Submission> SubmitAsync(string user, JobSpec spec, string? idempotencyKey) =>
        SubmitAsAsync(JobIdFor(user, idempotencyKey), user, spec);

    /// <summary>Submits under an id picked beforehand (<see cref="JobIdFor"/>), so its input files can be stored first.</summary>
    public async Task<Submission> SubmitAsAsync(string id, string user, JobSpec spec)
    {
        // Checked before asking the workers, and answered alike whether a worker holds the image or not: the answer
        // must not tell a user which other images exist on the workers.
        if (!images.Allows(spec.Image))
        {
            return new Submission(null, "image",
                $"'{spec.Image}' is not allowed on this cluster; allowed: {string.Join(", ", images.Images)} (the operator sets {JobImageAllowList.Variable})");
        }

        if (!await grains.GetGrain<IDispatcherGrain>(0).IsImageAvailableAsync(spec.Image))
        {
            return new Submission(null, "image",
                $"'{spec.Image}' is not present on any live worker; images are never pulled, load it on a worker first");
        }

        try
        {
            var view = await grains.GetGrain<IJobGrain>(id).SubmitAsync(user, spec);
            return new Submission(view, null, null);
        }
        catch (UserLimitExceededException limit)
        {
            // USER_MAX_QUEUED_JOBS or USER_MAX_SERVICES: refused by the user grain before anything was stored.
            return new Submission(null, limit.Field, limit.Message);
        }
    }

    /// <summary>
    /// A retry with the same Idempotency-Key maps to the same job id, so it returns the job it created
    /// the first time instead of creating another.
    /// </summary>
    public static string JobIdFor(string user, string? idempotencyKey) => idempotencyKey is null
        ? Guid.CreateVersion7().ToString("N")
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\n{idempotencyKey}")))[..32];
}
