using Xunit;

namespace Corral.Tests.Unit;

/// <summary>
/// The service quota grain's write batching: a save returns only once a write that began after the change has
/// completed, changes made during a write share the next one, and after a failure nothing claims to be stored.
/// </summary>
public sealed class CoalescedWritesTests
{
    /// <summary>A write the test completes by hand, recording how many changes had been made when it began.</summary>
    private sealed class ManualStore
    {
        public List<(int ChangesSeen, TaskCompletionSource Done)> Writes { get; } = [];

        public int Changes { get; set; }

        public Task WriteAsync()
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Writes.Add((Changes, done));
            return done.Task;
        }
    }

    [Fact]
    public async Task Changes_made_during_a_write_share_the_next_one_and_each_save_waits_for_a_write_that_saw_it()
    {
        var store = new ManualStore();
        var failures = 0;
        var writes = new CoalescedWrites(store.WriteAsync, () => failures++);

        store.Changes = 1;
        var first = writes.SaveAsync();
        store.Changes = 2;
        var second = writes.SaveAsync();
        store.Changes = 3;
        var third = writes.SaveAsync();

        Assert.Single(store.Writes);
        Assert.Equal(1, store.Writes[0].ChangesSeen);
        store.Writes[0].Done.SetResult();
        await first;
        Assert.False(second.IsCompleted, "the second change was made after the first write began: it is not stored yet");

        await WaitUntilAsync(() => store.Writes.Count == 2);
        Assert.Equal(3, store.Writes[1].ChangesSeen);
        store.Writes[1].Done.SetResult();
        await Task.WhenAll(second, third);
        Assert.Equal(2, store.Writes.Count);
        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Stored_completes_at_once_when_nothing_waits_to_be_written()
    {
        var store = new ManualStore();
        var writes = new CoalescedWrites(store.WriteAsync, () => { });

        await writes.StoredAsync();

        Assert.Empty(store.Writes);
    }

    [Fact]
    public async Task After_a_failed_write_every_later_save_fails_and_the_owner_is_told_once()
    {
        var store = new ManualStore();
        var failures = 0;
        var writes = new CoalescedWrites(store.WriteAsync, () => failures++);

        var first = writes.SaveAsync();
        var second = writes.SaveAsync();
        store.Writes[0].Done.SetException(new TimeoutException("database gone"));

        await Assert.ThrowsAsync<TimeoutException>(() => first);
        await Assert.ThrowsAnyAsync<Exception>(() => second);
        var later = await Assert.ThrowsAsync<InvalidOperationException>(() => writes.SaveAsync());
        Assert.IsType<TimeoutException>(later.InnerException);
        Assert.Single(store.Writes);
        Assert.Equal(1, failures);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
