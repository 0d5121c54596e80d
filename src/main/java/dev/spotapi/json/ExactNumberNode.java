package dev.spotapi.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.NumericNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A JSON number with a fraction or an exponent, kept as the exact text it arrived in ({@code 0.0002},
 * {@code 1.50}, {@code 1e-7}) and written back unchanged; its value is read as a {@link BigDecimal}
 * only when someone asks for it. Contract §9.7: a proxy must keep every number as it came.
 */
public final class ExactNumberNode extends NumericNode {
    private static final long serialVersionUID = 1L;

    private final String text;
    private transient BigDecimal value;

    /** @param text the number's JSON text, as the parser saw it */
    public ExactNumberNode(String text) {
        this.text = text;
    }

    /** The number's JSON text, exactly as it was read. */
    public String text() {
        return text;
    }

    @Override
    public JsonToken asToken() {
        return JsonToken.VALUE_NUMBER_FLOAT;
    }

    @Override
    public JsonParser.NumberType numberType() {
        return JsonParser.NumberType.BIG_DECIMAL;
    }

    @Override
    public boolean isFloatingPointNumber() {
        return true;
    }

    @Override
    public boolean isBigDecimal() {
        return true;
    }

    @Override
    public Number numberValue() {
        return decimalValue();
    }

    @Override
    public int intValue() {
        return decimalValue().intValue();
    }

    @Override
    public long longValue() {
        return decimalValue().longValue();
    }

    @Override
    public double doubleValue() {
        return Double.parseDouble(text);
    }

    @Override
    public float floatValue() {
        return Float.parseFloat(text);
    }

    @Override
    public BigDecimal decimalValue() {
        BigDecimal v = value;
        if (v == null) {
            v = new BigDecimal(text);
            value = v;
        }
        return v;
    }

    @Override
    public BigInteger bigIntegerValue() {
        return decimalValue().toBigInteger();
    }

    @Override
    public boolean canConvertToInt() {
        BigDecimal v = decimalValue();
        return v.compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) >= 0
                && v.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0;
    }

    @Override
    public boolean canConvertToLong() {
        BigDecimal v = decimalValue();
        return v.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0
                && v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
    }

    @Override
    public String asText() {
        return text;
    }

    @Override
    public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
        g.writeNumber(text);
    }

    /** Equal to another exact number of the same value ({@code 1.5} equals {@code 1.50}). */
    @Override
    public boolean equals(Object o) {
        return o == this || (o instanceof ExactNumberNode other && decimalValue().compareTo(other.decimalValue()) == 0);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(doubleValue());
    }
}
