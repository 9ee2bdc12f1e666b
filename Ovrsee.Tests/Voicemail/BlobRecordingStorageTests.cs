using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Ovrsee.Tests.Infrastructure;
using Ovrsee.WebhookApi.Recordings;

namespace Ovrsee.Tests.Voicemail;

/// <summary><see cref="BlobRecordingStorage"/> against a real Azurite, a container per test.</summary>
[Trait("Category", "Slow")]
public class BlobRecordingStorageTests
{
    private const int BlockSize = 256 * 1024;

    private static async Task<(BlobRecordingStorage Storage, BlobContainerClient Container)> StorageAsync()
    {
        var container = await TestAzurite.ContainerAsync(TestAzurite.NewContainerName());
        var options = Options.Create(new RecordingsOptions { Blob = new BlobRecordingsOptions { Container = container.Name, BlockSizeBytes = BlockSize, ReadBufferBytes = 64 * 1024 } });
        return (new BlobRecordingStorage(container, options), container);
    }

    private static string NewSid() => "RE" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_recording_reads_back_with_Twilios_content_type_and_saving_it_again_keeps_one_blob()
    {
        var (storage, container) = await StorageAsync();
        var workspace = Guid.NewGuid();
        var sid = NewSid();

        var key = await storage.SaveAsync(workspace, sid, "audio/x-wav", new GeneratedAudio(1000), default);
        var again = await storage.SaveAsync(workspace, sid, "audio/x-wav", new GeneratedAudio(3 * BlockSize + 17), default);

        Assert.Equal($"{workspace}/{sid}.wav", key);
        Assert.Equal(key, again);
        Assert.True(await storage.ExistsAsync(key, default));
        var stored = await storage.OpenReadAsync(key, default);
        Assert.NotNull(stored);
        await using (stored.Content)
        {
            Assert.Equal("audio/x-wav", stored.ContentType);
            Assert.Equal(3 * BlockSize + 17, stored.Length);
            Assert.Equal(GeneratedAudio.Bytes(3 * BlockSize + 17), await ReadAllAsync(stored.Content));
        }
        var blobs = new List<string>();
        await foreach (var blob in container.GetBlobsAsync())
        {
            blobs.Add(blob.Name);
        }
        Assert.Equal([key], blobs);
        Assert.Equal(PublicAccessType.None, (await container.GetPropertiesAsync()).Value.PublicAccess);
    }

    [Fact]
    public async Task Playback_is_seekable_so_a_browser_can_ask_for_a_range()
    {
        var (storage, _) = await StorageAsync();
        var length = 2 * BlockSize + 5;
        var key = await storage.SaveAsync(Guid.NewGuid(), NewSid(), "audio/x-wav", new GeneratedAudio(length), default);

        var stored = await storage.OpenReadAsync(key, default);
        await using var content = stored!.Content;
        Assert.True(content.CanSeek);
        content.Seek(BlockSize + 3, SeekOrigin.Begin);
        var buffer = new byte[100];
        await content.ReadExactlyAsync(buffer);

        Assert.Equal(GeneratedAudio.Bytes(length).Skip(BlockSize + 3).Take(100), buffer);
    }

    /// <summary>
    /// The upload is not buffered: blocks are already staged in storage while the audio is still
    /// being read, long before its end. And none of it is visible as a blob until the end.
    /// </summary>
    [Fact]
    public async Task Blocks_are_staged_while_the_audio_still_arrives_and_no_blob_is_visible_before_the_last_byte()
    {
        var (storage, container) = await StorageAsync();
        var workspace = Guid.NewGuid();
        var sid = NewSid();
        var key = $"{workspace}/{sid}.wav";
        var length = 12L * BlockSize;
        (int Staged, bool Visible)? midway = null;
        var audio = new GeneratedAudio(length, onRead: async position =>
        {
            if (midway is null && position >= length * 3 / 4)
            {
                midway = (await TestAzurite.UncommittedBlocksAsync(container, key), await container.GetBlobClient(key).ExistsAsync());
            }
        });

        await storage.SaveAsync(workspace, sid, "audio/x-wav", audio, default);

        Assert.NotNull(midway);
        Assert.True(midway.Value.Staged >= 4, $"only {midway.Value.Staged} blocks were staged with three quarters of the audio read");
        Assert.False(midway.Value.Visible, "the blob was visible before the upload finished");
        Assert.Equal(length, (await container.GetBlobClient(key).GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task An_upload_that_breaks_half_way_leaves_no_blob_and_an_earlier_complete_copy_intact()
    {
        var (storage, container) = await StorageAsync();
        var workspace = Guid.NewGuid();
        var sid = NewSid();
        var key = $"{workspace}/{sid}.wav";

        await Assert.ThrowsAnyAsync<IOException>(() => storage.SaveAsync(workspace, sid, "audio/x-wav", new GeneratedAudio(8L * BlockSize, failAt: 5L * BlockSize), default));

        Assert.True(await TestAzurite.UncommittedBlocksAsync(container, key) > 0, "the upload never got as far as staging blocks");
        Assert.False(await storage.ExistsAsync(key, default));
        Assert.Null(await storage.OpenReadAsync(key, default));

        await storage.SaveAsync(workspace, sid, "audio/x-wav", new GeneratedAudio(1234), default);
        await Assert.ThrowsAnyAsync<IOException>(() => storage.SaveAsync(workspace, sid, "audio/x-wav", new GeneratedAudio(8L * BlockSize, failAt: 5L * BlockSize), default));
        var stored = await storage.OpenReadAsync(key, default);
        await using (stored!.Content)
        {
            Assert.Equal(GeneratedAudio.Bytes(1234), await ReadAllAsync(stored.Content));
        }
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_deleting_again_or_an_unknown_key_is_not_an_error()
    {
        var (storage, _) = await StorageAsync();
        var key = await storage.SaveAsync(Guid.NewGuid(), NewSid(), "audio/x-wav", new GeneratedAudio(100), default);

        await storage.DeleteAsync(key, default);
        await storage.DeleteAsync(key, default);

        Assert.False(await storage.ExistsAsync(key, default));
        Assert.Null(await storage.OpenReadAsync(key, default));
        Assert.Null(await storage.OpenReadAsync($"{Guid.NewGuid()}/{NewSid()}.wav", default));
    }

    [Theory]
    [InlineData("../other-container/x.wav")]
    [InlineData("a/../../b.wav")]
    [InlineData("/abs.wav")]
    [InlineData("a//b.wav")]
    [InlineData("a?comp=list")]
    public async Task Keys_that_could_name_another_blob_or_container_are_rejected(string key)
    {
        var (storage, _) = await StorageAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => storage.OpenReadAsync(key, default));
        await Assert.ThrowsAsync<ArgumentException>(() => storage.DeleteAsync(key, default));
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}

/// <summary>
/// Audio as a network body looks to the storage: not seekable, length unknown, produced as it is
/// read. Optionally fails part-way (a dropped connection) or reports how far it has been read.
/// </summary>
public sealed class GeneratedAudio(long length, long failAt = -1, Func<long, Task>? onRead = null) : Stream
{
    private long _position;

    public static byte[] Bytes(long length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = ByteAt(i);
        }
        return bytes;
    }

    private static byte ByteAt(long position) => (byte)(position % 251);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (onRead is not null)
        {
            await onRead(_position);
        }
        if (failAt >= 0 && _position >= failAt)
        {
            throw new IOException("The connection was reset (simulated).");
        }
        var count = (int)Math.Min(Math.Min(buffer.Length, 64 * 1024), length - _position);
        var span = buffer.Span;
        for (var i = 0; i < count; i++)
        {
            span[i] = ByteAt(_position + i);
        }
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
