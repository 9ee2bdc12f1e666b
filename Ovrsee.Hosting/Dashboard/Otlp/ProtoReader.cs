using System.Buffers.Binary;
using System.Text;

namespace Ovrsee.Hosting.Dashboard.Otlp;

/// <summary>
/// Protocol Buffers wire format, reading side only: enough to walk OTLP messages field by field
/// and skip whatever we do not show. Malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public int Field { get; private set; }
    public int WireType { get; private set; }

    /// <summary>Advances to the next field; false at the end of the message.</summary>
    public bool Next()
    {
        if (_position >= _data.Length)
        {
            return false;
        }
        var tag = ReadVarint();
        Field = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        if (Field == 0)
        {
            throw new InvalidDataException("Field number 0 is not valid protobuf.");
        }
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException("Truncated varint.");
            }
            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("Varint longer than 10 bytes.");
    }

    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)ReadFixed64());

    public ReadOnlySpan<byte> ReadBytes() => Take(checked((int)ReadVarint()));

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Trace and span ids travel as raw bytes; everyone shows them as lowercase hex.</summary>
    public string ReadHex() => Convert.ToHexStringLower(ReadBytes());

    /// <summary>A number field whichever way it was encoded (fixed64 or varint).</summary>
    public ulong ReadNumber() => WireType == Fixed64 ? ReadFixed64() : WireType == Fixed32 ? ReadFixed32() : ReadVarint();

    public void Skip()
    {
        switch (WireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Take(4); break;
            default: throw new InvalidDataException($"Unsupported wire type {WireType} (field {Field}).");
        }
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || _position + length > _data.Length)
        {
            throw new InvalidDataException("Field runs past the end of the message.");
        }
        var slice = _data.Slice(_position, length);
        _position += length;
        return slice;
    }
}
