using Microsoft.Extensions.Options;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.Tests.Voicemail;

public class RecordingStorageTests
{
    private readonly string _root = TestPostgres.NewRootDirectory("storage");

    private LocalFileRecordingStorage Storage() => new(Options.Create(new RecordingsOptions { Directory = _root }));

    [Fact]
    public async Task A_saved_recording_reads_back_under_a_workspace_key_and_saving_it_again_keeps_one_copy()
    {
        var storage = Storage();
        var workspace = Guid.NewGuid();
        var sid = "RE" + Guid.NewGuid().ToString("N");

        var key = await storage.SaveAsync(workspace, sid, "audio/x-wav", new MemoryStream([1, 2, 3]), default);
        var again = await storage.SaveAsync(workspace, sid, "audio/x-wav", new MemoryStream([4, 5, 6, 7]), default);

        Assert.Equal($"{workspace}/{sid}.wav", key);
        Assert.Equal(key, again);
        Assert.True(await storage.ExistsAsync(key, default));
        var stored = await storage.OpenReadAsync(key, default);
        Assert.NotNull(stored);
        await using (stored.Content)
        {
            using var copy = new MemoryStream();
            await stored.Content.CopyToAsync(copy);
            Assert.Equal([4, 5, 6, 7], copy.ToArray());
        }
        Assert.Equal("audio/wav", stored.ContentType);
        Assert.Single(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Unknown_keys_read_as_absent()
    {
        var storage = Storage();

        Assert.Null(await storage.OpenReadAsync($"{Guid.NewGuid()}/RE{Guid.NewGuid():N}.wav", default));
        Assert.False(await storage.ExistsAsync($"{Guid.NewGuid()}/RE{Guid.NewGuid():N}.wav", default));
    }

    [Theory]
    [InlineData("../secrets.txt")]
    [InlineData("a/../../etc/passwd")]
    [InlineData("..")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\..\\b.wav")]
    [InlineData("a//b.wav")]
    [InlineData("")]
    public async Task Keys_that_could_leave_the_recordings_folder_are_rejected(string key)
    {
        var storage = Storage();

        await Assert.ThrowsAsync<ArgumentException>(() => storage.OpenReadAsync(key, default));
        await Assert.ThrowsAsync<ArgumentException>(() => storage.ExistsAsync(key, default));
    }

    [Theory]
    [InlineData("../RE00000000000000000000000000000000")]
    [InlineData("RE123")]
    public async Task Only_a_RecordingSid_names_a_stored_file(string recordingSid)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Storage().SaveAsync(Guid.NewGuid(), recordingSid, "audio/wav", new MemoryStream([1]), default));
    }
}
