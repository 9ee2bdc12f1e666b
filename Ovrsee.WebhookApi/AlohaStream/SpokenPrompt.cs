using System.Buffers.Binary;
using System.Text;

namespace Ovrsee.WebhookApi.AlohaStream;

/// <summary>
/// What the built-in agent says when a workspace chose it: "Hi, this is Aloha. To leave a
/// message, press 1, or stay on the line." A recording shipped in the assembly (made with eSpeak
/// NG by scripts/make-builtin-agent-prompt.sh, since nothing here synthesises speech at run time),
/// already in the stream's format: G.711 μ-law, 8 kHz, mono, in whole 20 ms frames, so it plays
/// without transcoding. The WAV wrapper keeps it playable in any player.
/// </summary>
public static class SpokenPrompt
{
    public const string ResourceName = "AlohaStream/Audio/builtin-agent-prompt.wav";
    private const ushort WaveFormatMuLaw = 7;

    public static IReadOnlyList<byte[]> Frames { get; } = Load();

    public static TimeSpan Duration => TimeSpan.FromMilliseconds(Frames.Count * 20);

    private static byte[][] Load()
    {
        using var resource = typeof(SpokenPrompt).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from the build.");
        using var buffer = new MemoryStream();
        resource.CopyTo(buffer);
        return [.. MuLawSamples(buffer.ToArray()).Chunk(GreetingClip.FrameBytes)];
    }

    /// <summary>The data chunk of a RIFF/WAVE file that is μ-law, 8 kHz, mono; anything else is refused.</summary>
    public static byte[] MuLawSamples(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || Encoding.ASCII.GetString(wav[..4]) != "RIFF" || Encoding.ASCII.GetString(wav[8..12]) != "WAVE")
        {
            throw new InvalidDataException("Not a RIFF/WAVE file.");
        }
        var formatChecked = false;
        for (var offset = 12; offset + 8 <= wav.Length;)
        {
            var id = Encoding.ASCII.GetString(wav.Slice(offset, 4));
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(offset + 4, 4));
            var body = wav.Slice(offset + 8, Math.Min(size, wav.Length - offset - 8));
            if (id == "fmt ")
            {
                var format = BinaryPrimitives.ReadUInt16LittleEndian(body);
                var channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
                var rate = BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
                if (format != WaveFormatMuLaw || channels != 1 || rate != GreetingClip.SampleRate)
                {
                    throw new InvalidDataException($"Expected μ-law, mono, {GreetingClip.SampleRate} Hz; got format {format}, {channels} channel(s), {rate} Hz.");
                }
                formatChecked = true;
            }
            else if (id == "data")
            {
                return formatChecked ? body.ToArray() : throw new InvalidDataException("The data chunk comes before the format.");
            }
            offset += 8 + size + (size & 1);
        }
        throw new InvalidDataException("No data chunk.");
    }
}
