using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Ovrsee.Data;

/// <summary>
/// A statement written with names (<c>@call_sid</c>) and sent with PostgreSQL's positions
/// (<c>$1</c>). The names become positions once, when the statement is parsed (keep it in a static
/// field), and parameters are bound by name; the command then carries positional SQL and unnamed
/// parameters, which Npgsql sends as they are. Given named parameters, Npgsql would parse and
/// rewrite the SQL on every execution instead (docs/layout.md has the measured cost).
/// <para>
/// The grammar is PostgreSQL's where it matters and no more: <c>@name</c> (a letter or <c>_</c>,
/// then letters, digits, <c>_</c>) is a parameter outside string literals (<c>'…'</c>,
/// <c>E'…'</c>, <c>$tag$…$tag$</c>), quoted identifiers and comments; <c>@name::type</c> casts as
/// usual. Refused when parsed, so a mistake fails at the first use of the statement: <c>$1</c>
/// (one statement, one way of naming), and a name glued to an operator or identifier (<c>=@a</c>,
/// <c>&lt;@@a</c>, <c>x@a</c>: PostgreSQL would read an operator there; put a space before the name).
/// Operators with <c>@</c> (<c>@&gt;</c>, <c>&lt;@</c>, <c>@@</c>) stay as written.
/// </para>
/// </summary>
public sealed class NamedSql
{
    private readonly Dictionary<string, int> _positions;

    private NamedSql(string source, string text, string[] names)
    {
        Source = source;
        Text = text;
        Names = names;
        _positions = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            _positions.Add(names[i], i);
        }
    }

    /// <summary>The statement as written, with names.</summary>
    public string Source { get; }

    /// <summary>The statement as sent: each name replaced by its position.</summary>
    public string Text { get; }

    /// <summary>The parameters in position order: <c>Names[0]</c> is <c>$1</c>.</summary>
    public IReadOnlyList<string> Names { get; }

    public override string ToString() => Text;

    /// <summary>The 1-based position <paramref name="name"/> is sent as.</summary>
    /// <exception cref="ArgumentException">The statement has no such name.</exception>
    public int PositionOf(string name) => IndexOf(name) + 1;

    /// <summary>A fresh set of this statement's parameters, to fill by name.</summary>
    public Parameters Bind() => new(this);

    private int IndexOf(string name) => _positions.TryGetValue(name, out var index)
        ? index
        : throw new ArgumentException($"The statement has no parameter @{name} (it has {Describe(Names)}).", nameof(name));

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Select(n => "@" + n));

    /// <exception cref="FormatException">The statement mixes in <c>$n</c>, glues a name to an operator, or leaves a literal or comment open.</exception>
    public static NamedSql Parse(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var text = new StringBuilder(sql.Length);
        var names = new List<string>();
        var copiedUpTo = 0;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'':
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: i > 0 && sql[i - 1] is 'E' or 'e' && (i < 2 || !IsIdentifierPart(sql[i - 2])));
                    break;
                case '"':
                    i = SkipQuoted(sql, i, '"', backslashEscapes: false);
                    break;
                case '-' when At(sql, i + 1) == '-':
                    i = sql.IndexOf('\n', i) is var end and >= 0 ? end + 1 : sql.Length;
                    break;
                case '/' when At(sql, i + 1) == '*':
                    i = SkipBlockComment(sql, i);
                    break;
                case '$' when i > 0 && IsIdentifierPart(sql[i - 1]):
                    i++; // part of an identifier (a$b)
                    break;
                case '$' when char.IsAsciiDigit(At(sql, i + 1)):
                    throw new FormatException($"Positional parameter at {Where(sql, i)}: a statement written with names uses names only (@name).");
                case '$':
                    i = SkipDollarQuoted(sql, i);
                    break;
                case '@' when IsIdentifierStart(At(sql, i + 1)):
                    if (i > 0 && (IsIdentifierPart(sql[i - 1]) || IsOperatorChar(sql[i - 1])))
                    {
                        throw new FormatException(
                            $"Parameter glued to '{sql[i - 1]}' at {Where(sql, i)}: PostgreSQL would read an operator there. Separate the name with a space.");
                    }
                    var start = i + 1;
                    var stop = start;
                    while (stop < sql.Length && IsIdentifierPart(sql[stop]))
                    {
                        stop++;
                    }
                    var name = sql[start..stop];
                    var index = names.IndexOf(name);
                    if (index < 0)
                    {
                        names.Add(name);
                        index = names.Count - 1;
                    }
                    text.Append(sql, copiedUpTo, i - copiedUpTo).Append('$').Append(index + 1);
                    copiedUpTo = stop;
                    i = stop;
                    break;
                default:
                    i++;
                    break;
            }
        }
        text.Append(sql, copiedUpTo, sql.Length - copiedUpTo);
        return new NamedSql(sql, text.ToString(), [.. names]);
    }

    private static char At(string sql, int i) => i < sql.Length ? sql[i] : '\0';

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$';

    // PostgreSQL's operator characters: an @ after one of them belongs to the operator.
    private static bool IsOperatorChar(char c) => c is '+' or '-' or '*' or '/' or '<' or '>' or '=' or '~' or '!' or '@' or '#' or '%' or '^' or '&' or '|' or '`' or '?';

    private static int SkipQuoted(string sql, int open, char quote, bool backslashEscapes)
    {
        for (var i = open + 1; i < sql.Length; i++)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i++;
            }
            else if (sql[i] == quote)
            {
                // A doubled quote is one quote inside the literal; the scan goes on past it.
                if (At(sql, i + 1) == quote)
                {
                    i++;
                    continue;
                }
                return i + 1;
            }
        }
        throw new FormatException($"Unterminated {quote}…{quote} from {Where(sql, open)}.");
    }

    private static int SkipBlockComment(string sql, int open)
    {
        // PostgreSQL's block comments nest.
        var depth = 0;
        for (var i = open; i < sql.Length - 1; i++)
        {
            if (sql[i] == '/' && sql[i + 1] == '*')
            {
                depth++;
                i++;
            }
            else if (sql[i] == '*' && sql[i + 1] == '/')
            {
                depth--;
                i++;
                if (depth == 0)
                {
                    return i + 1;
                }
            }
        }
        throw new FormatException($"Unterminated /* comment from {Where(sql, open)}.");
    }

    /// <summary>$$…$$ or $tag$…$tag$; a lone $ is left as it is.</summary>
    private static int SkipDollarQuoted(string sql, int open)
    {
        var end = open + 1;
        if (IsIdentifierStart(At(sql, end)))
        {
            while (end < sql.Length && IsIdentifierPart(sql[end]) && sql[end] != '$')
            {
                end++;
            }
        }
        if (At(sql, end) != '$')
        {
            return open + 1;
        }
        var tag = sql[open..(end + 1)];
        var close = sql.IndexOf(tag, end + 1, StringComparison.Ordinal);
        return close < 0
            ? throw new FormatException($"Unterminated {tag} quote from {Where(sql, open)}.")
            : close + tag.Length;
    }

    private static string Where(string sql, int i)
    {
        var line = 1 + sql.AsSpan(0, i).Count('\n');
        var lineStart = sql.LastIndexOf('\n', Math.Max(0, i - 1)) + 1;
        var lineEnd = sql.IndexOf('\n', i) is var e and >= 0 ? e : sql.Length;
        return $"line {line}: \"{sql[lineStart..lineEnd].Trim()}\"";
    }

    /// <summary>
    /// One execution's parameters, set by name in any order; <see cref="AddTo"/> adds them in
    /// position order and refuses a set with a name left out.
    /// </summary>
    public sealed class Parameters
    {
        private readonly NamedSql _sql;
        private readonly NpgsqlParameter?[] _values;

        internal Parameters(NamedSql sql)
        {
            _sql = sql;
            _values = new NpgsqlParameter?[sql.Names.Count];
        }

        /// <summary>Sets @<paramref name="name"/> to <paramref name="value"/> (null: SQL NULL) with the type PostgreSQL infers.</summary>
        public Parameters Set(string name, object? value) => Set(name, new NpgsqlParameter { Value = value ?? DBNull.Value });

        /// <summary>Sets @<paramref name="name"/> to <paramref name="value"/> (null: SQL NULL) sent as <paramref name="type"/>.</summary>
        public Parameters Set(string name, object? value, NpgsqlDbType type) =>
            Set(name, new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });

        /// <summary>Sets @<paramref name="name"/> to <paramref name="parameter"/>, which must have no name of its own (it is sent by position).</summary>
        /// <exception cref="ArgumentException">Unknown name, a name set twice, or a named parameter.</exception>
        public Parameters Set(string name, NpgsqlParameter parameter)
        {
            ArgumentNullException.ThrowIfNull(parameter);
            var index = _sql.IndexOf(name);
            if (_values[index] is not null)
            {
                throw new ArgumentException($"@{name} is set twice.", nameof(name));
            }
            if (!string.IsNullOrEmpty(parameter.ParameterName))
            {
                throw new ArgumentException($"@{name}: give the parameter no name of its own ({parameter.ParameterName}); it is sent as ${index + 1}.", nameof(parameter));
            }
            _values[index] = parameter;
            return this;
        }

        /// <summary>The parameters in position order, for a command or batch command of <see cref="Text"/>.</summary>
        /// <exception cref="InvalidOperationException">A name was not set.</exception>
        public NpgsqlParameter[] ToArray()
        {
            if (Array.IndexOf(_values, null) >= 0)
            {
                var missing = _sql.Names.Where((_, i) => _values[i] is null).ToList();
                throw new InvalidOperationException($"Not set: {Describe(missing)} (the statement needs {Describe(_sql.Names)}).");
            }
            return _values!;
        }

        /// <exception cref="InvalidOperationException">A name was not set.</exception>
        public void AddTo(NpgsqlParameterCollection parameters)
        {
            foreach (var parameter in ToArray())
            {
                parameters.Add(parameter);
            }
        }
    }
}
