using System.Text.RegularExpressions;
using Corral.Gateway.Users;
using Corral.Jobs;

namespace Corral.Gateway.Jobs;

/// <summary>Finds a job for a caller: another user's job is as invisible as one that does not exist.</summary>
public static partial class JobAccess
{
    public static bool IsWellFormedId(string id) => IdPattern().IsMatch(id);

    public static async Task<JobView?> FindAsync(IGrainFactory grains, Caller caller, string id)
    {
        if (!IsWellFormedId(id))
        {
            return null;
        }

        var view = await grains.GetGrain<IJobGrain>(id).GetAsync();
        return view is not null && (caller.IsAdmin || view.User == caller.Name) ? view : null;
    }

    [GeneratedRegex("^[a-f0-9]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
