using Npgsql;
using NpgsqlTypes;
using Ovrsee.Data;
using Ovrsee.Tests.Infrastructure;

namespace Ovrsee.Tests.Foundation;

/// <summary>
/// Statements written with @names and sent as $n: which @ is a parameter (and which is an operator,
/// a literal or a comment), that a mistake fails when the statement is parsed or bound, and that
/// PostgreSQL gets the values where the names were.
/// </summary>
public class NamedSqlTests
{
    [Fact]
    public void Names_become_positions_in_order_of_first_use_and_a_repeated_name_keeps_its_position()
    {
        var sql = NamedSql.Parse("SELECT * FROM t WHERE a = @first AND (b = @second OR c = @first) LIMIT @limit");

        Assert.Equal("SELECT * FROM t WHERE a = $1 AND (b = $2 OR c = $1) LIMIT $3", sql.Text);
        Assert.Equal(["first", "second", "limit"], sql.Names);
        Assert.Equal(2, sql.PositionOf("second"));
    }

    [Theory]
    [InlineData("SELECT @a::text", "SELECT $1::text")]
    [InlineData("SELECT (@a)::uuid, ARRAY[@b]", "SELECT ($1)::uuid, ARRAY[$2]")]
    [InlineData("SELECT f(x => @a), @b,@c", "SELECT f(x => $1), $2,$3")]
    [InlineData("WHERE tags @> @wanted AND other <@ @wanted", "WHERE tags @> $1 AND other <@ $1")]
    [InlineData("WHERE doc @@ @query", "WHERE doc @@ $1")]
    [InlineData("SELECT '@not' || @a", "SELECT '@not' || $1")]
    [InlineData("SELECT 'it''s @not', @a", "SELECT 'it''s @not', $1")]
    [InlineData(@"SELECT E'it\'s @not', @a", @"SELECT E'it\'s @not', $1")]
    [InlineData("SELECT \"col@not\", @a", "SELECT \"col@not\", $1")]
    [InlineData("SELECT @a -- @not a parameter\n, @b", "SELECT $1 -- @not a parameter\n, $2")]
    [InlineData("SELECT /* @not /* nested @not */ still @not */ @a", "SELECT /* @not /* nested @not */ still @not */ $1")]
    [InlineData("SELECT $$ @not $$, $tag$ it's @not $tag$, @a", "SELECT $$ @not $$, $tag$ it's @not $tag$, $1")]
    [InlineData("SELECT a$b, @a", "SELECT a$b, $1")]
    [InlineData("SELECT @a_1, @A_1", "SELECT $1, $2")]
    [InlineData("SELECT 1", "SELECT 1")]
    public void Only_an_at_name_outside_literals_and_comments_is_a_parameter(string source, string sent)
    {
        var sql = NamedSql.Parse(source);

        Assert.Equal(sent, sql.Text);
        Assert.Equal(source, sql.Source);
    }

    [Theory]
    [InlineData("SELECT $1, @a", "Positional")]
    [InlineData("WHERE a =@b", "glued to '='")]
    [InlineData("WHERE a <@@b", "glued to '@'")]
    [InlineData("SELECT x@a", "glued to 'x'")]
    [InlineData("SELECT 'open, @a", "Unterminated '")]
    [InlineData("SELECT \"open, @a", "Unterminated \"")]
    [InlineData("SELECT @a /* open", "Unterminated /*")]
    [InlineData("SELECT $tag$ open, @a", "Unterminated $tag$")]
    public void A_statement_that_cannot_be_read_one_way_is_refused_when_parsed(string source, string reason)
    {
        var error = Assert.Throws<FormatException>(() => NamedSql.Parse(source));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Binding_refuses_an_unknown_name_a_name_set_twice_and_a_name_left_out()
    {
        var sql = NamedSql.Parse("SELECT @a, @b");

        Assert.Contains("no parameter @c", Assert.Throws<ArgumentException>(() => sql.Bind().Set("c", 1)).Message);
        Assert.Contains("@a is set twice", Assert.Throws<ArgumentException>(() => sql.Bind().Set("a", 1).Set("a", 2)).Message);
        Assert.Contains("Not set: @b", Assert.Throws<InvalidOperationException>(() => sql.Bind().Set("a", 1).ToArray()).Message);
        Assert.Throws<ArgumentException>(() => sql.Bind().Set("a", new NpgsqlParameter("a", 1)));
    }

    [Fact]
    public void Parameters_come_out_in_position_order_whatever_order_they_were_set_in()
    {
        var sql = NamedSql.Parse("SELECT @a, @b, @c");

        var parameters = sql.Bind().Set("c", 3).Set("a", 1).Set("b", null, NpgsqlDbType.Text).ToArray();

        Assert.Equal(new object[] { 1, DBNull.Value, 3 }, parameters.Select(p => p.Value));
        Assert.Equal(NpgsqlDbType.Text, parameters[1].NpgsqlDbType);
        Assert.All(parameters, p => Assert.Equal("", p.ParameterName));
    }

    [Fact]
    public async Task PostgreSQL_gets_each_value_where_its_name_was()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(database.AdminConnectionString);
        await connection.OpenAsync();
        var sql = NamedSql.Parse("""
            SELECT @word || ' @word', @number::int * 2, @number::int, -- @number
                   ARRAY['x', @word] @> ARRAY[@word]
            """);

        await using var command = new NpgsqlCommand(sql.Text, connection);
        sql.Bind().Set("number", 21).Set("word", "hi", NpgsqlDbType.Text).AddTo(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal("hi @word", reader.GetString(0));
        Assert.Equal(42, reader.GetInt32(1));
        Assert.Equal(21, reader.GetInt32(2));
        Assert.True(reader.GetBoolean(3));
    }
}
