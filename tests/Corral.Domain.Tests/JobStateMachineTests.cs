using Corral.Jobs;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class JobStateMachineTests
{
    [Theory]
    [InlineData(JobStatus.Queued, JobStatus.Pending)]
    [InlineData(JobStatus.Pending, JobStatus.Starting)]
    [InlineData(JobStatus.Starting, JobStatus.Running)]
    [InlineData(JobStatus.Starting, JobStatus.Pending)]
    [InlineData(JobStatus.Running, JobStatus.Pending)]
    [InlineData(JobStatus.Running, JobStatus.Succeeded)]
    [InlineData(JobStatus.Running, JobStatus.Failed)]
    [InlineData(JobStatus.Starting, JobStatus.Failed)]
    [InlineData(JobStatus.Queued, JobStatus.Cancelled)]
    [InlineData(JobStatus.Pending, JobStatus.Cancelled)]
    [InlineData(JobStatus.Running, JobStatus.Cancelled)]
    [InlineData(JobStatus.Pending, JobStatus.Queued)]
    [InlineData(JobStatus.Starting, JobStatus.Queued)]
    [InlineData(JobStatus.Running, JobStatus.Queued)]
    public void CanMove_AllowedStep_IsAllowed(JobStatus from, JobStatus to) => Assert.True(JobStateMachine.CanMove(from, to));

    [Theory]
    [InlineData(JobStatus.Queued, JobStatus.Running)]
    [InlineData(JobStatus.Queued, JobStatus.Failed)]
    [InlineData(JobStatus.Pending, JobStatus.Succeeded)]
    [InlineData(JobStatus.Queued, JobStatus.Queued)]
    [InlineData(JobStatus.Running, JobStatus.Starting)]
    public void CanMove_SkippedOrBackwardStep_IsRefused(JobStatus from, JobStatus to) => Assert.False(JobStateMachine.CanMove(from, to));

    [Fact]
    public void CanMove_FromTerminal_IsAlwaysRefused()
    {
        JobStatus[] terminal = [JobStatus.Succeeded, JobStatus.Failed, JobStatus.Cancelled];
        foreach (var from in terminal)
        {
            Assert.True(JobStateMachine.IsTerminal(from));
            foreach (var to in Enum.GetValues<JobStatus>())
            {
                Assert.False(JobStateMachine.CanMove(from, to), $"{from} -> {to} must be refused");
            }
        }
    }
}
